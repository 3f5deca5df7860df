/**
 * The GitHub REST layer shared by shipline's actions and workflows (audit-record, rollback, …).
 * `context` is light; everything else loads Octokit: import it lazily, after inputs are read.
 */
export * from './client.js';
export * from './context.js';
export * from './deployments.js';
export * from './files.js';
export * from './runs.js';
