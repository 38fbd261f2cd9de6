"""One module per kind of console page: sign-in, the queue, a request, the static assets."""
