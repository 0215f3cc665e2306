"""edgehooks: a caching reverse proxy that runs Lambda@Edge handlers at CloudFront's four hook points."""

__version__ = "0.1.0"
