"""What tests, benchmarks and the local stack share, so none of them imports another:
tables, moto and its speed-ups (`moto_dynamodb`, `fast_moto`), a moto server, the
registry and its tokens, OCI image builders, stream seeds, API Gateway proxy events, a
running local stack, and the guards and fault proxies tests put around them.

It is development code: nothing in chalicelib imports it, and it is not packaged.
"""
