// The ports of one e2e run, shared by the config (which starts the server) and the
// specs (which talk to it). The managed edge's nginx gets its own two, derived from
// the server's so that two runs on different NSM_E2E_PORTs do not collide.
export const SERVER_PORT = Number(process.env.NSM_E2E_PORT ?? 3107);
export const EDGE_HTTP_PORT = Number(process.env.NSM_E2E_EDGE_HTTP_PORT ?? SERVER_PORT + 10000);
export const EDGE_HTTPS_PORT = Number(process.env.NSM_E2E_EDGE_HTTPS_PORT ?? SERVER_PORT + 10001);
