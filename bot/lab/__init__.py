"""The Rotation Lab Mini App: initData checks, its pages and JSON endpoints, its links."""
