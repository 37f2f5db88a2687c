import type pg from 'pg';
import type { RoleFinding } from '../../app/ports/collectors.js';

export type { RoleFinding };

/**
 * Roles that write outside the rules of READ ONLY: every table (pg_write_all_data), server
 * files (COPY … TO '/file'), programs (COPY … TO PROGRAM).
 */
const WRITING_ROLES = ['pg_write_all_data', 'pg_write_server_files', 'pg_execute_server_program'];

/**
 * Extensions whose functions run SQL in another session or worker, outside the collector's
 * READ ONLY transaction: dblink('…', 'INSERT …') and dblink_exec write, and so would
 * pg_background_launch.
 */
const SESSION_EXTENSIONS = ['dblink', 'pg_background'];

/** Findings listed per kind at most: the first few say enough; the count says the rest. */
const LIMIT = 20;

/**
 * Everything the connected role could use to write, read from the catalogs (one statement, no
 * writes). The role counts together with every role it is a member of, since a member may
 * `SET ROLE` to it. System schemas and temporary ones (a session's own, gone with it) are left
 * out; TEMP on the database is allowed for the same reason.
 */
export async function collectorRoleFindings(
  db: Pick<pg.ClientBase, 'query'>,
): Promise<RoleFinding[]> {
  const { rows } = await db.query<RoleFinding>(
    `WITH me AS (
       SELECT oid, rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication
         FROM pg_roles WHERE pg_has_role(current_user, oid, 'MEMBER')),
     nsp AS (
       SELECT oid, nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'),
     attributes AS (
       SELECT me.rolname AS role, a.name AS what FROM me
        CROSS JOIN LATERAL (VALUES ('SUPERUSER', rolsuper), ('CREATEROLE', rolcreaterole),
          ('CREATEDB', rolcreatedb), ('BYPASSRLS', rolbypassrls), ('REPLICATION', rolreplication)) a(name, has)
        WHERE a.has),
     memberships AS (
       SELECT current_user::text AS role, 'member of ' || rolname AS what FROM me WHERE rolname = ANY($1::text[])),
     tables AS (
       SELECT me.rolname AS role, format('%s on %s', p.priv, c.oid::regclass) AS what
         FROM pg_class c JOIN nsp ON nsp.oid = c.relnamespace
        CROSS JOIN me
        CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) p(priv)
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
          -- A column-level INSERT or UPDATE grant is enough to write.
          AND CASE WHEN p.priv IN ('INSERT', 'UPDATE') THEN has_any_column_privilege(me.oid, c.oid, p.priv)
                   ELSE has_table_privilege(me.oid, c.oid, p.priv) END
        ORDER BY 2 LIMIT ${LIMIT}),
     sequences AS (
       SELECT me.rolname AS role, format('%s on sequence %s', p.priv, c.oid::regclass) AS what
         FROM pg_class c JOIN nsp ON nsp.oid = c.relnamespace
        CROSS JOIN me CROSS JOIN (VALUES ('USAGE'), ('UPDATE')) p(priv)
        WHERE c.relkind = 'S' AND has_sequence_privilege(me.oid, c.oid, p.priv)
        ORDER BY 2 LIMIT ${LIMIT}),
     schemas AS (
       SELECT me.rolname AS role, format('CREATE on schema %I', n.nspname) AS what
         FROM pg_namespace n CROSS JOIN me
        WHERE n.nspname !~ '^pg_(toast|temp_|toast_temp_)' AND has_schema_privilege(me.oid, n.oid, 'CREATE')
        ORDER BY 2 LIMIT ${LIMIT}),
     databases AS (
       SELECT me.rolname AS role, format('CREATE on database %I', current_database()) AS what
         FROM me WHERE has_database_privilege(me.oid, current_database(), 'CREATE')),
     sessions AS (
       SELECT DISTINCT me.rolname AS role, format('the %s extension (EXECUTE on its functions)', e.extname) AS what
         FROM pg_extension e
         JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
                         AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
        CROSS JOIN me
        WHERE e.extname = ANY($2::text[]) AND has_function_privilege(me.oid, d.objid, 'EXECUTE')),
     foreign_data AS (
       SELECT me.rolname AS role, format('USAGE on foreign-data wrapper %I', w.fdwname) AS what
         FROM pg_foreign_data_wrapper w CROSS JOIN me
        WHERE has_foreign_data_wrapper_privilege(me.oid, w.oid, 'USAGE')
       UNION ALL
       SELECT me.rolname, format('USAGE on foreign server %I', s.srvname)
         FROM pg_foreign_server s CROSS JOIN me
        WHERE has_server_privilege(me.oid, s.oid, 'USAGE')),
     untrusted AS (
       -- Functions in an untrusted language (plpython3u, plperlu…) can open connections too.
       SELECT me.rolname AS role, format('EXECUTE on %s (%s)', p.oid::regprocedure, l.lanname) AS what
         FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN nsp ON nsp.oid = p.pronamespace
        CROSS JOIN me
        WHERE NOT l.lanpltrusted AND l.lanname NOT IN ('c', 'internal')
          AND has_function_privilege(me.oid, p.oid, 'EXECUTE')
        ORDER BY 2 LIMIT ${LIMIT}),
     files AS (
       SELECT me.rolname AS role, 'EXECUTE on lo_export (writes server files)' AS what
         FROM me WHERE has_function_privilege(me.oid, 'pg_catalog.lo_export(oid, text)', 'EXECUTE'))
     SELECT * FROM attributes UNION ALL SELECT * FROM memberships UNION ALL SELECT * FROM tables
     UNION ALL SELECT * FROM sequences UNION ALL SELECT * FROM schemas UNION ALL SELECT * FROM databases
     UNION ALL SELECT * FROM sessions UNION ALL SELECT * FROM foreign_data UNION ALL SELECT * FROM untrusted
     UNION ALL SELECT * FROM files`,
    [WRITING_ROLES, SESSION_EXTENSIONS],
  );
  return rows;
}

/** The connected role's name, for messages. */
export async function currentRole(db: Pick<pg.ClientBase, 'query'>): Promise<string> {
  const { rows } = await db.query<{ role: string }>('SELECT current_user AS role');
  return rows[0]?.role ?? '?';
}
