"""Sign initData as Telegram does (the documented steps, written independently of the server)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

TOKEN = "123456:LAB-test-token_for-the-browser"


def signed_init_data(language: str = "en", token: str = TOKEN, user_id: int = 4242) -> str:
    """Return initData for a user, signed with ``token``'s WebAppData key, dated now."""
    fields = {
        "auth_date": str(int(time.time())),
        "query_id": "AAH-lab-test",
        "user": json.dumps(
            {"id": user_id, "first_name": "Lab", "language_code": language}, separators=(",", ":")
        ),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
