"""Index members: holdings, their closes, breadth, movers and the top-vs-rest split of an index."""
