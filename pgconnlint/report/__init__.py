"""One module per output format, each with `render(result, out, …)`."""

FORMATS = ("text", "json", "sarif", "github", "gitlab")
