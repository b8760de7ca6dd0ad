"""档案检索: search the shared archive, browse the 资料库, index status for archivists."""
