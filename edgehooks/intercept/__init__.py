"""`edgehooks intercept`: the distribution's behaviors and hooks applied to a real site through
mitmproxy. The addon (addon.py) is a front end like server.py: it only translates mitmproxy's
flows (translate.py) to the pipeline's messages and back, for the hosts --hosts names (hosts.py).
"""
