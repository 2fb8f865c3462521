"""Content-addressed artifacts: a local store, an HTTP server for it, and a verifying client.

Every artifact (data set, weights, spec) is addressed by the SHA-256 of its bytes, and
every fetch verifies that hash before the bytes are used.
"""
