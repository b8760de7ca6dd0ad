"""Directory (LDAP / AD) administration: the status page and the `eoffice directory` commands."""
