"""The coordinators' tools: broadcasts, teams, progress, exports, moving events, unreachable interns."""
