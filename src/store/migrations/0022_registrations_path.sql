-- What a node needs to reach a phone registered with another node (several
-- wasl nodes behind Kamailio, docs/scale-out.md): the proxies it registered
-- through (RFC 3327 Path, "<uri>,<uri>"; empty when it registered
-- directly), the TCP or TLS connection it registered over ("sip:ip:port;
-- transport=tcp", only the node that holds it can use it; empty over UDP or
-- behind a Path), and the node that took the REGISTER ("node:sip.port").
ALTER TABLE sip_registrations ADD COLUMN path TEXT NOT NULL DEFAULT '';
ALTER TABLE sip_registrations ADD COLUMN flow TEXT NOT NULL DEFAULT '';
ALTER TABLE sip_registrations ADD COLUMN node TEXT NOT NULL DEFAULT '';
-- expired rows are deleted when a node reads the bindings (at start, at takeover)
CREATE INDEX sip_registrations_expires ON sip_registrations (expires_at);
