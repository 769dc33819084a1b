"""Storage of chats: the bot database, its schema and migrations, the chats table, backups."""
