CREATE TABLE "migrate_history" (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  history_format INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  version TEXT NOT NULL,
  name TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('up', 'down', 'init')),
  checksum TEXT NOT NULL,
  down_checksum TEXT,
  transactional INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  success INTEGER,
  error_message TEXT NOT NULL DEFAULT '',
  error_code TEXT NOT NULL DEFAULT '',
  statement_index INTEGER NOT NULL DEFAULT 0,
  execution_ms INTEGER NOT NULL DEFAULT 0,
  installed_by TEXT NOT NULL,
  client TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  error_statement INTEGER NOT NULL DEFAULT 0,
  progress_checksum TEXT
);
INSERT INTO "migrate_history" (history_format, run_id, version, name, direction, checksum,
  transactional, started_at, finished_at, success, installed_by, client, tool_version)
VALUES (1, '', '', '', 'init', '', 1, '2026-11-20T10:00:00.000Z', '2026-11-20T10:00:00.000Z', 1,
  'deploy', '', '0.1.0');
