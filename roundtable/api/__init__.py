"""The roundtable's REST resources: events, sessions, pitches and meetings."""
