"""Directory (OpenLDAP / Active Directory) login and sync.

- presets: OpenLDAP and AD defaults, and `resolve()` turning settings into a `DirectoryConfig`;
- client: the only module that talks to the directory (ldap3): sign-in, paged listing, checks;
- mapping: groups -> roles, department attribute / OU -> department code;
- sync: create or update users from directory entries, the paged full sync, run history.
"""
