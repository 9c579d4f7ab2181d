export { grantByEmail, setAdmin } from './accounts';
export { DOUBLE_CHARGE_QUERY, RECENT_ANALYSES_QUERY, runAudit } from './audit';
export { type OpsSettings, readSettings } from './connect';
export { runDoctor } from './doctor';
export { runFailedJobs } from './jobs';
export { createReport, type Report } from './output';
