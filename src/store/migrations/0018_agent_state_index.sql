-- Each agent's state as it stood at an instant (the start of a report's
-- period, midnight for the wallboard's "today so far") is their last
-- agent.state event before it: found through this partial index, one short
-- descent per agent, instead of a pass over every state ever logged (half a
-- second for a month of a 2,000-calls-a-day center, growing with the log's
-- 730 days of retention).
CREATE INDEX events_agent_state ON events (agent, at, id) WHERE kind = 'agent.state';
