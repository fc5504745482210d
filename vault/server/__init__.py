"""The agency server's client side and the trial server (issue 12).

``address``: the ``--server`` URL (PostgreSQL + S3 store) and the credentials that go with it
(from the environment or a prompt, never stored); ``trial``: ``custos server up/down/status``,
a PostgreSQL-with-pgvector and a SeaweedFS S3 store on loopback for a trial; ``check``: does a
server answer, over TLS, with the credentials given.
"""
