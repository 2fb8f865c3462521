"""The market's roles as long-running commands: `offchain worker`, `offchain validator`,
and the requester's `offchain job ...`.

Each role module imports the shared parts (session, spec, journal, rolelog, steps) and
never another role.
"""
