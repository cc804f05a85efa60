"""The service's database: tables (`models`), engine and sessions (`engine`), migrations."""
