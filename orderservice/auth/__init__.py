"""Who the caller is: bearer tokens from the User Service, verified against its signing keys."""
