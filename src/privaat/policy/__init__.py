"""Policy as code: the schema, loading and validation, and what is derived from a policy file.

Pure: imports only the standard library, pydantic, PyYAML (a parser, given text) and itself.
"""
