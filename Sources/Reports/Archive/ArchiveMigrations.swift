import GRDB

/// The archive's schema, as GRDB migrations (docs/archive.md §2). A migration is never edited once released: a
/// change is a new `registerMigration("v2")` appended below, which GRDB runs once on every older archive at open,
/// inside one transaction, and records in `grdb_migrations`.
enum ArchiveMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        // migrator.registerMigration("v2") { db in try db.execute(sql: "ALTER TABLE run ADD COLUMN …") }
        return migrator
    }

    /// The identifiers of every migration this build knows, oldest first.
    static var identifiers: [String] { migrator.migrations }

    private static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE run (
                id TEXT PRIMARY KEY NOT NULL,
                plan TEXT NOT NULL,
                spec TEXT NOT NULL,
                sensor_classes TEXT NOT NULL,          -- comma-separated
                lot TEXT,
                operator TEXT,
                rig TEXT NOT NULL,
                simulated INTEGER NOT NULL,
                state TEXT NOT NULL,
                step TEXT,
                started_utc TEXT NOT NULL,             -- RFC 3339 UTC with milliseconds
                finished_utc TEXT,
                verdict TEXT,
                complete INTEGER,
                error TEXT,
                report_path TEXT,
                html_path TEXT,
                software_version TEXT NOT NULL
            );
            CREATE INDEX run_started ON run(started_utc);
            CREATE INDEX run_lot ON run(lot, started_utc);

            -- A unit, keyed by its serial; a part without one is keyed '<run-id>/<slot>' (has_serial = 0).
            CREATE TABLE dut (
                serial TEXT PRIMARY KEY NOT NULL,
                has_serial INTEGER NOT NULL,
                chip TEXT,
                model TEXT,
                sensor_class TEXT,
                first_seen_utc TEXT NOT NULL,
                last_seen_utc TEXT NOT NULL
            );

            CREATE TABLE run_dut (
                run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                slot TEXT NOT NULL,
                serial TEXT NOT NULL REFERENCES dut(serial),
                sensor_class TEXT NOT NULL,
                chip TEXT,
                model TEXT,
                verdict TEXT,
                lost TEXT,
                missing TEXT NOT NULL DEFAULT '',      -- one item per line
                PRIMARY KEY (run_id, slot)
            );
            CREATE INDEX run_dut_serial ON run_dut(serial);

            CREATE TABLE result (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL,
                slot TEXT NOT NULL,
                serial TEXT NOT NULL,
                metric TEXT NOT NULL,
                value REAL,                            -- NULL for a non-finite value
                expanded_uncertainty REAL,
                coverage_factor REAL,
                unit TEXT NOT NULL,
                limit_text TEXT,
                rule TEXT,
                verdict TEXT,
                conditions TEXT NOT NULL,
                FOREIGN KEY (run_id, slot) REFERENCES run_dut(run_id, slot) ON DELETE CASCADE
            );
            CREATE INDEX result_run ON result(run_id, slot);
            CREATE INDEX result_serial ON result(serial, metric);

            CREATE TABLE artifact (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                slot TEXT,
                kind TEXT NOT NULL CHECK (kind IN ('report-json', 'report-html', 'raw-capture', 'raw-csv', 'audio')),
                path TEXT NOT NULL,                    -- relative to runs/<run-id>/
                bytes INTEGER,
                UNIQUE (run_id, kind, path)
            );

            CREATE TABLE run_state (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                state TEXT NOT NULL,
                step TEXT,
                at_utc TEXT NOT NULL
            );
            CREATE INDEX run_state_run ON run_state(run_id, id);
            """)
    }
}
