"""Event-sourced domain of CloudSignal: aggregates, commands, projections and ACL evaluation."""
