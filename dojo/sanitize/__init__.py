"""Sanitizing real incident artifacts into scenario material (dojo sanitize; docs/sanitize.md).

The pipeline, one module a step:
  readers     refuse binary files, cut text into chunks of whole lines
  formats     plain / JSON lines / CSV / JSON document, chunk by chunk (structured: JSON values)
  finder      the fast scan: RE2 through pyarrow finds candidates (patterns: both layers)
  detect      the precise detectors split a candidate into parts, with checks (Luhn, TLDs, ...)
  keep        values that identify nobody and stay
  pseudonyms  stateful, injective pseudonyms (IPs, names, MACs, cards; pools: the name pools)
  tagged      stateless pseudonyms with a checksum tag (UUIDs, tokens, keys, JWTs)
  timeshift   --shift
  scrubber    all of the above with the caches; parallel: worker processes; run: a whole run
  report      report.json; check: --check
Nothing here imports textual.
"""
