"""The JSON submission: pydantic models generated from the catalogue, the build from a
validation result, its JSON Schema and its file form.

``build`` and ``models`` need only the core and pydantic (they run in the add-in);
``schema`` loads jsonschema and is imported only where a schema check is wanted.
"""
