"""The 文件资料库 (library): the shared folder every office files into, its indexer (watcher, extraction, the
single index writer) and the read-only search API.

Modules: `text` (normalisation and n-grams), `engine` (every Whoosh import), `textstore` (the searchable
text beside the index), `extract` + `extract_*` (the extractor registry, run in `sandbox` children),
`layout` (metadata from folder names), `scan` (folder vs database), `watcher` (watchdog), `pipeline`
(outbox -> index), `service` (the worker service and CLI operations), `query` + `search` (read API),
`access` (who may see which file), `shelves` (the 资料库 browser and uploads), `records` (metadata filed
by the document workflow).
"""
