"""One module per client library: its defaults and semantics, used by every route that builds its pools."""
