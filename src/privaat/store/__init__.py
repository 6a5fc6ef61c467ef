"""Storage: the schema, migrations, the database engine, keys and encryption, the audit trail."""
