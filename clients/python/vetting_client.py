#!/usr/bin/env python3
"""A small Python client of the vetting service, with stubs generated from ``proto/``.

    python clients/python/vetting_client.py --addr 127.0.0.1:50051 health
    VETTING_TOKEN=vt_... python clients/python/vetting_client.py check \\
        --given "Robert James" --family Smith --dob 1980-03-14 --purpose RECRUITMENT
    VETTING_TOKEN=vt_... python clients/python/vetting_client.py batch 2000 --invalid-every 100

Needs ``grpcio`` and ``grpcio-tools`` (``scripts/test.sh`` installs the pinned versions into
``.venv``). The stubs are never committed: they are generated with ``python -m
grpc_tools.protoc`` into ``--stubs DIR`` when that directory has none yet, or, without
``--stubs``, into a temporary directory removed at exit.

Every call carries a deadline (``--timeout``). Each command prints one line of JSON on stdout;
errors go to stderr. Names, dates of birth and tokens are never printed.
"""

import argparse
import atexit
import importlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

PROTO_DIR = pathlib.Path(__file__).resolve().parents[2] / "proto"

# Exit codes: 0 success (health: SERVING), 1 an answer that is not what was asked for (health
# not SERVING, a batch cut short or out of order), 2 a failed call, 64 bad usage.
EXIT_NOT_OK = 1
EXIT_RPC_FAILED = 2
EXIT_USAGE = 64


def generate_stubs(out_dir, proto_dir=PROTO_DIR):
    """Runs grpc_tools.protoc over every .proto under ``proto_dir`` into ``out_dir``.

    Every file, not only ``vetting/v1``: a proto vendored beside it (``google/rpc/status.proto``,
    say) is then generated too, and the vetting stubs' imports of it resolve.
    """
    protos = sorted(str(p.relative_to(proto_dir)) for p in proto_dir.rglob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files under {proto_dir}")
    os.makedirs(out_dir, exist_ok=True)
    cmd = [
        sys.executable, "-m", "grpc_tools.protoc", "-I", str(proto_dir),
        f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *protos,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"grpc_tools.protoc failed ({done.returncode}): {done.stderr.strip()}")


def load_stubs(stubs_dir):
    """Imports the generated modules, generating them first where needed."""
    if stubs_dir is None:
        stubs_dir = tempfile.mkdtemp(prefix="vetting-stubs-")
        atexit.register(shutil.rmtree, stubs_dir, True)
    if not (pathlib.Path(stubs_dir) / "vetting" / "v1" / "check_pb2.py").exists():
        generate_stubs(stubs_dir)
    sys.path.insert(0, str(stubs_dir))
    names = ("check_pb2", "check_pb2_grpc", "types_pb2")
    return [importlib.import_module(f"vetting.v1.{n}") for n in names]


def health_messages():
    """grpc.health.v1's two messages, built from a descriptor: no stub, no extra package."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    f = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(
        name="grpc/health/v1/health.proto", package="grpc.health.v1", syntax="proto3")
    req = fdp.message_type.add(name="HealthCheckRequest")
    req.field.add(name="service", number=1, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    resp = fdp.message_type.add(name="HealthCheckResponse")
    status = resp.enum_type.add(name="ServingStatus")
    for number, value in enumerate(("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")):
        status.value.add(name=value, number=number)
    resp.field.add(name="status", number=1, type=f.TYPE_ENUM, label=f.LABEL_OPTIONAL,
                   type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    get = message_factory.GetMessageClass
    return (get(pool.FindMessageTypeByName("grpc.health.v1.HealthCheckRequest")),
            get(pool.FindMessageTypeByName("grpc.health.v1.HealthCheckResponse")))


def channel(args):
    """A TLS channel when any of --cacert/--cert/--key is given (mTLS with --cert and --key),
    a plaintext one otherwise."""
    import grpc

    if not (args.cacert or args.cert or args.key):
        return grpc.insecure_channel(args.addr)
    if bool(args.cert) != bool(args.key):
        usage("--cert and --key go together (a client certificate and its private key)")

    def read(path):
        return pathlib.Path(path).read_bytes() if path else None

    creds = grpc.ssl_channel_credentials(
        root_certificates=read(args.cacert),  # None: the system's trust store
        private_key=read(args.key),
        certificate_chain=read(args.cert),
    )
    options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
    return grpc.secure_channel(args.addr, creds, options=options)


def usage(message):
    print(f"vetting_client: {message}", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def metadata(args):
    if not args.token:
        usage("no token: pass --token or set VETTING_TOKEN")
    return (("authorization", f"Bearer {args.token}"),)


def failed(what, e):
    print(f"{what} failed: {e.code().name}: {e.details()}", file=sys.stderr)
    sys.exit(EXIT_RPC_FAILED)


def parse_date(types_pb2, text):
    """YYYY-MM-DD, YYYY-MM or YYYY (an unknown month or day is 0, as the contract says)."""
    parts = text.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        usage(f"--dob {text!r}: expected YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = (list(map(int, parts)) + [0, 0])[:3]
    return types_pb2.Date(year=year, month=month, day=day)


def error_field(check_pb2):
    """Whether CheckResponse has `google.rpc.Status error` (a per-item error in a batch)."""
    return "error" in check_pb2.CheckResponse.DESCRIPTOR.fields_by_name


def item_error(resp, has_error):
    """The non-OK status of an answered batch item, or None."""
    if has_error and resp.HasField("error") and resp.error.code != 0:
        return resp.error
    return None


def outcome_name(resp):
    """The name of a CheckResponse's outcome (CLEAR, BARRED, UNDER_INVESTIGATION, REFER)."""
    enum = resp.DESCRIPTOR.fields_by_name["outcome"].enum_type
    value = enum.values_by_number.get(resp.outcome)
    return value.name if value is not None else str(resp.outcome)


def cmd_health(args):
    import grpc

    request, response = health_messages()
    with channel(args) as ch:
        call = ch.unary_unary("/grpc.health.v1.Health/Check",
                              request_serializer=request.SerializeToString,
                              response_deserializer=response.FromString)
        try:
            r = call(request(service=args.service), timeout=args.timeout)
        except grpc.RpcError as e:
            failed("Health/Check", e)
    status = response.DESCRIPTOR.enum_types_by_name["ServingStatus"].values_by_number[r.status].name
    print(json.dumps({"status": status}))
    return 0 if status == "SERVING" else EXIT_NOT_OK


def cmd_check(args):
    import grpc

    check_pb2, check_pb2_grpc, types_pb2 = load_stubs(args.stubs)
    req = check_pb2.CheckRequest(
        name=types_pb2.PersonName(given_names=args.given, family_name=args.family),
        date_of_birth=parse_date(types_pb2, args.dob),
        purpose=types_pb2.Purpose.Value(args.purpose),
        client_ref=args.client_ref,
    )
    with channel(args) as ch:
        try:
            r = check_pb2_grpc.CheckServiceStub(ch).Check(
                req, metadata=metadata(args), timeout=args.timeout)
        except grpc.RpcError as e:
            failed("CheckService/Check", e)
    print(json.dumps({
        "outcome": outcome_name(r),
        "check_id": r.check_id,
        "matches": len(r.matches),
        "client_ref": r.client_ref,
    }))
    return 0


GIVEN = ("Aled", "Bethan", "Ciaran", "Delyth", "Emrys", "Ffion", "Gareth", "Heledd")
SYLLABLES = ("ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "ri", "so")


def invalid(i, every):
    """Whether item i (from 0) is one left invalid: every `every`-th, so 99, 199, ... for 100."""
    return every > 0 and (i + 1) % every == 0


def batch_requests(check_pb2, types_pb2, n, invalid_every):
    """N made-up people, built one at a time as grpcio asks for them; every `invalid_every`-th
    has no purpose (which the server must refuse, for that item alone)."""
    for i in range(n):
        family = "".join(SYLLABLES[(i // len(SYLLABLES) ** k) % len(SYLLABLES)] for k in range(5))
        req = check_pb2.CheckRequest(
            name=types_pb2.PersonName(given_names=GIVEN[i % len(GIVEN)],
                                      family_name=family.capitalize() + "ton"),
            date_of_birth=types_pb2.Date(year=1960 + i % 40, month=1 + i % 12, day=1 + i % 28),
            client_ref=f"item-{i}",
        )
        if not invalid(i, invalid_every):
            req.purpose = types_pb2.PERIODIC_REVETTING
        yield req


def cmd_batch(args):
    import grpc

    check_pb2, check_pb2_grpc, types_pb2 = load_stubs(args.stubs)
    has_error = error_field(check_pb2)
    n, every = args.n, args.invalid_every
    summary = {
        "requested": n,
        "invalid_sent": sum(1 for i in range(n) if invalid(i, every)),
        "answered": 0,
        "errors": 0,
        # Errors on items sent valid, and invalid items answered without an error.
        "unexpected_errors": 0,
        "missed_errors": 0,
        "in_order": True,
        "first_out_of_order": None,
        "outcomes": {},
        "error_codes": {},
        "error_field": has_error,
        "status": "OK",
        "details": "",
    }
    started = time.monotonic()
    with channel(args) as ch:
        stream = check_pb2_grpc.CheckServiceStub(ch).CheckBatch(
            batch_requests(check_pb2, types_pb2, n, every),
            metadata=metadata(args), timeout=args.timeout)
        try:
            for i, resp in enumerate(stream):
                summary["answered"] += 1
                if summary["in_order"] and resp.client_ref != f"item-{i}":
                    summary["in_order"] = False
                    summary["first_out_of_order"] = {"at": i, "client_ref": resp.client_ref}
                err = item_error(resp, has_error)
                if err is not None:
                    summary["errors"] += 1
                    # A StatusCode's value is (number, description), e.g. (3, 'invalid argument').
                    name = next((c.name for c in grpc.StatusCode if c.value[0] == err.code),
                                str(err.code))
                    summary["error_codes"][name] = summary["error_codes"].get(name, 0) + 1
                    if not invalid(i, every):
                        summary["unexpected_errors"] += 1
                else:
                    outcome = outcome_name(resp)
                    summary["outcomes"][outcome] = summary["outcomes"].get(outcome, 0) + 1
                    if invalid(i, every):
                        summary["missed_errors"] += 1
        except grpc.RpcError as e:
            summary["status"], summary["details"] = e.code().name, e.details()
    summary["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(summary))
    complete = summary["status"] == "OK" and summary["answered"] == n and summary["in_order"]
    return 0 if complete else EXIT_NOT_OK


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--addr", default=os.environ.get("VETTING_ADDR", "127.0.0.1:50051"),
                   help="host:port of the server (env VETTING_ADDR)")
    p.add_argument("--token", default=os.environ.get("VETTING_TOKEN"),
                   help="API token (env VETTING_TOKEN; not needed for health)")
    p.add_argument("--cacert", help="PEM CA bundle to verify the server with (enables TLS)")
    p.add_argument("--cert", help="PEM client certificate, for mTLS (with --key)")
    p.add_argument("--key", help="PEM private key of --cert")
    p.add_argument("--server-name", help="name to verify the server's certificate against")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="deadline of each call, in seconds (default 30)")
    p.add_argument("--stubs", help="directory of generated stubs (generated there if absent)")
    sub = p.add_subparsers(dest="command", required=True)

    h = sub.add_parser("health", help="grpc.health.v1.Health/Check")
    h.add_argument("--service", default="", help="service name; empty for the whole server")
    h.set_defaults(run=cmd_health)

    c = sub.add_parser("check", help="one Check: prints the outcome and check_id")
    c.add_argument("--given", required=True, help="given names, space-separated")
    c.add_argument("--family", required=True, help="family name")
    c.add_argument("--dob", required=True, help="date of birth, YYYY-MM-DD (or YYYY-MM, YYYY)")
    c.add_argument("--purpose", default="RECRUITMENT",
                   choices=["RECRUITMENT", "TRANSFER", "PERIODIC_REVETTING", "CONTRACTOR_ACCESS",
                            "APPOINTMENT", "OTHER_PURPOSE"])
    c.add_argument("--client-ref", default="", help="your reference, echoed and audited")
    c.set_defaults(run=cmd_check)

    b = sub.add_parser("batch", help="a CheckBatch of N made-up people; prints a JSON summary")
    b.add_argument("n", type=int, help="how many requests")
    b.add_argument("--invalid-every", type=int, default=0, metavar="K",
                   help="leave out purpose on every K-th request (0: none)")
    b.set_defaults(run=cmd_batch)

    args = p.parse_args(argv)
    if args.timeout <= 0:
        usage("--timeout must be positive")
    if getattr(args, "n", 1) < 0 or getattr(args, "invalid_every", 0) < 0:
        usage("N and --invalid-every must not be negative")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
