"""docs/api/openapi.json describes exactly the routes of the route table."""
import json
import os
import re

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SQLITE_ONLY = True


def test_openapi_matches_route_table(t):
    routes = json.loads(t.srv.cli("routes").stdout)
    with open(os.path.join(TOP, "docs", "api", "openapi.json")) as f:
        spec = json.load(f)
    t.eq(spec.get("openapi", "")[:2], "3.", "OpenAPI 3")
    documented = set()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in ("get", "post", "put", "patch", "delete"):
                documented.add((method.upper(), path))
                t.true(op.get("summary"), f"{method} {path} has a summary")
    table = {(r["method"], r["path"]) for r in routes}
    t.eq(sorted(table - documented), [], "routes missing from openapi.json")
    t.eq(sorted(documented - table), [], "documented routes that do not exist")
    for r in routes:
        op = spec["paths"][r["path"]][r["method"].lower()]
        roles = op.get("x-roles", "")
        t.eq(roles, r["roles"], f"x-roles of {r['method']} {r['path']}")
        for p in re.findall(r"{(\w+)}", r["path"]):
            names = [x.get("name") for x in op.get("parameters", []) + spec["paths"][r["path"]].get("parameters", [])]
            t.true(p in names, f"{r['method']} {r['path']} documents its {{{p}}} parameter")
