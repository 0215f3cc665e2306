"""`edgehooks bench`: drive load at a URL (driver), sum it up with Lambda@Edge's bill (results),
and show it as text, JSON or one HTML page (html)."""
