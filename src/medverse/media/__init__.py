"""Media servers medverse drives from the server: the Janus client and the `sfu` media plane.

:mod:`medverse.media.janus` speaks Janus's WebSocket API; :mod:`medverse.media.janus_plane`
implements :class:`medverse.spaces.media.MediaPlane` on Janus's videoroom plugin (docs/janus.md).
"""
