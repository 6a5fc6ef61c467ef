"""Server-rendered public pages: each module holds one page's ``router``."""
