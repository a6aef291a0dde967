#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Schema checks of `multikvm export`'s formats, on what the real code writes
for test-export's fixture (test-export --write DIR):

  provider.yaml  against Nova's provider config schema (SCHEMA_V1 below) and
                 the checks Nova makes after it (custom traits only)
  labels.txt     against Kubernetes' label syntax
  multikvm.prom  parsed by prometheus_client's text parser, values against
                 the fixture (DIR/fixture.json: what test-export set up)

Each check first runs on a copy broken on purpose (a wrong trait, a bad
label, a malformed metric) and must reject it: a check that cannot fail is
no check.  Usage: check-export.py PATH/TO/test-export.  Output: TAP.
Needs python3-jsonschema, python3-yaml, python3-prometheus-client
(scripts/setup installs them).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as e:
    print(f"1..1\nnot ok 1 - {e}: install python3-jsonschema python3-yaml "
          "python3-prometheus-client (scripts/setup)")
    sys.exit(1)

# Transcribed from openstack/nova, nova/compute/provider_config.py, SCHEMA_V1
# (schema_version 1.0; SUPPORTED_SCHEMA_VERSIONS = {1: {0}}), as of nova
# 33.0.0-373-g00a030403f.  JSON Schema draft 7.
SCHEMA_V1 = {
    'type': 'object',
    'properties': {
        '__source_file': {'not': {}},
        'meta': {
            'type': 'object',
            'properties': {
                'schema_version': {
                    'type': 'string',
                    'pattern': '^1.([0-9]|[1-9][0-9]+)$'
                }
            },
            'required': ['schema_version'],
            'additionalProperties': True
        },
        'providers': {
            'type': 'array',
            'items': {
                'type': 'object',
                'properties': {
                    'identification': {'$ref': '#/$defs/providerIdentification'},
                    'inventories': {'$ref': '#/$defs/providerInventories'},
                    'traits': {'$ref': '#/$defs/providerTraits'}
                },
                'required': ['identification'],
                'additionalProperties': True
            }
        }
    },
    'required': ['meta'],
    'additionalProperties': True,
    '$defs': {
        'providerIdentification': {
            'type': 'object',
            'properties': {
                'uuid': {
                    'oneOf': [
                        {
                            'type': 'string',
                            'pattern':
                                '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-'
                                '[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-'
                                '[0-9A-Fa-f]{12}$'
                        },
                        {
                            'type': 'string',
                            'const': '$COMPUTE_NODE'
                        }
                    ]
                },
                'name': {
                    'type': 'string',
                    'minLength': 1,
                    'maxLength': 200
                }
            },
            'minProperties': 1,
            'maxProperties': 1,
            'additionalProperties': False
        },
        'providerInventories': {
            'type': 'object',
            'properties': {
                'additional': {
                    'type': 'array',
                    'items': {
                        'patternProperties': {
                            '^[A-Z0-9_]{1,255}$': {
                                'type': 'object',
                                'properties': {
                                    'total': {'type': 'integer'},
                                    'reserved': {'type': 'integer'},
                                    'min_unit': {'type': 'integer'},
                                    'max_unit': {'type': 'integer'},
                                    'step_size': {'type': 'integer'},
                                    'allocation_ratio': {'type': 'number'}
                                },
                                'required': ['total'],
                                'additionalProperties': False
                            }
                        },
                        'additionalProperties': False
                    }
                }
            },
            'additionalProperties': True
        },
        'providerTraits': {
            'type': 'object',
            'properties': {
                'additional': {
                    'type': 'array',
                    'items': {
                        'type': 'string',
                        'pattern': '^[A-Z0-9_]{1,255}$'
                    }
                }
            },
            'additionalProperties': True
        }
    }
}

n = 0
failed = 0


def result(ok, name, why=""):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    if not ok:
        failed += 1
        for line in str(why).splitlines():
            print(f"#   {line}")


def check(name, fn, text, fixture):
    """fn must accept the real text and reject the broken one."""
    try:
        fn(text, fixture)
        result(True, name)
    except Exception as e:  # noqa: BLE001 - any failure is the check failing
        result(False, name, f"{type(e).__name__}: {e}")


def rejects(name, fn, broken, fixture):
    try:
        fn(broken, fixture)
        result(False, f"{name} rejects a copy broken on purpose", "accepted")
    except Exception as e:  # noqa: BLE001
        result(True, f"{name} rejects a copy broken on purpose ({type(e).__name__}: "
               f"{str(e).splitlines()[0][:80]})")


def offered(fixture):
    return [i for i in fixture["instances"] if not i["draining"]]


def satisfies(inst, params):
    want = {"Y": "1", "N": "0"}
    return all(want.get(inst["params"].get(k), inst["params"].get(k)) == want.get(v, v)
               for k, v in params.items())


def trait(kind, value):
    return "CUSTOM_MKVM_" + kind + "_" + re.sub("[^A-Z0-9]", "_", value.upper())


def expected_traits(fixture):
    t = {"CUSTOM_MKVM_HOST"}
    for name, params in fixture["profiles"].items():
        if any(satisfies(i, params) for i in offered(fixture)):
            t.add(trait("PROFILE", name))
    for i in offered(fixture):
        t.add(trait("KVM", i["kvm_version"]))
        t.add(trait("SERIES", fixture["series"]))
        for p in i["patches"].split():
            t.add(trait("PATCH", p.split("@")[1]))
    return t


def check_provider(text, fixture):
    doc = yaml.safe_load(text)
    jsonschema.Draft7Validator(SCHEMA_V1).validate(doc)
    # what nova's _parse_provider_yaml / _validate_provider_config add
    assert doc["meta"]["schema_version"] == "1.0", doc["meta"]
    traits = doc["providers"][0]["traits"]["additional"]
    bad = [t for t in traits if not re.fullmatch("CUSTOM_[A-Z0-9_]+", t) or len(t) > 255]
    assert not bad, f"not custom traits (os_traits.is_custom): {bad}"
    assert set(traits) == expected_traits(fixture), \
        f"traits {sorted(traits)} != fixture's {sorted(expected_traits(fixture))}"


DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"


def check_labels(text, fixture):
    """k8s.io/apimachinery validation: IsQualifiedName (key), IsValidLabelValue."""
    seen = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"no '=' in {line!r}"
        prefix, slash, name = key.rpartition("/")
        assert slash and prefix, f"{key!r}: no prefix"
        assert len(prefix) <= 253 and re.fullmatch(f"{DNS_LABEL}(\\.{DNS_LABEL})*", prefix), \
            f"{key!r}: prefix is not a DNS subdomain"
        assert len(name) <= 63 and re.fullmatch(NAME, name), f"{key!r}: bad name part"
        assert len(value) <= 63 and (value == "" or re.fullmatch(NAME, value)), \
            f"{key!r}: bad value {value!r}"
        assert key not in seen, f"{key!r} twice"
        seen[key] = value
    want = {"multikvm.io/host": "true"}
    for i in fixture["instances"]:
        k = f"multikvm.io/kvm-{i['kvm_version']}"
        want[k] = "true" if want.get(k) == "true" or not i["draining"] else "false"
    for name, params in fixture["profiles"].items():
        want[f"multikvm.io/profile-{name}"] = \
            "true" if any(satisfies(i, params) for i in offered(fixture)) else "false"
    for k, v in want.items():
        assert seen.get(k) == v, f"{k}={seen.get(k)}, the fixture says {v}"


def check_prometheus(text, fixture):
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    for f in fams.values():
        assert f.documentation and f.type in ("gauge", "counter"), \
            f"{f.name}: no HELP/TYPE ({f.type!r})"

    def values(family, key):
        return {s.labels[key]: s.value for s in fams[family].samples}

    insts = {str(i["instance"]): i for i in fixture["instances"]}
    assert values("multikvm_instance_vms", "instance") == \
        {k: float(i["vms"]) for k, i in insts.items()}, "vms"
    assert values("multikvm_instance_vcpus", "instance") == \
        {k: float(i["vcpus"]) for k, i in insts.items()}, "vcpus"
    assert values("multikvm_instance_draining", "instance") == \
        {k: float(i["draining"]) for k, i in insts.items()}, "draining"
    builds = {s.labels["instance"]: s.labels for s in fams["multikvm_instance_build_info"].samples}
    for k, i in insts.items():
        assert builds[k]["kvm_version"] == i["kvm_version"], builds[k]
        assert builds[k]["series"] == fixture["series"], builds[k]
        assert builds[k]["patches"] == i["patches"], builds[k]
    match = {(s.labels["instance"], s.labels["profile"]): s.value
             for s in fams["multikvm_instance_profile_match"].samples}
    assert match == {(k, p): float(satisfies(i, params)) for k, i in insts.items()
                     for p, params in fixture["profiles"].items()}, match
    # the parser names a counter's family without _total
    ref = {s.labels["reason"]: s.value for s in fams["multikvm_refusals"].samples
           if s.name == "multikvm_refusals_total"}
    assert fams["multikvm_refusals"].type == "counter"
    assert {k: v for k, v in ref.items() if v} == \
        {k: float(v) for k, v in fixture["refusals"].items()}, ref


def main():
    with tempfile.TemporaryDirectory(prefix="mkvm-export-") as d:
        subprocess.run([sys.argv[1], "--write", d], check=True)
        fixture = json.load(open(os.path.join(d, "fixture.json")))

        def read(name):
            return open(os.path.join(d, name)).read()

        prov, labels, prom = read("provider.yaml"), read("labels.txt"), read("multikvm.prom")
        # broken on purpose: a trait Placement refuses, a label key Kubernetes
        # refuses, a sample line the exposition format does not have
        rejects("provider.yaml", check_provider,
                prov.replace("CUSTOM_MKVM_HOST", "CUSTOM_mkvm_host"), fixture)
        rejects("provider.yaml", check_provider,
                prov.replace("uuid: '$COMPUTE_NODE'", "uuid: 'compute-1'"), fixture)
        rejects("labels.txt", check_labels,
                labels.replace("multikvm.io/host=", "multikvm.io/-host="), fixture)
        rejects("multikvm.prom", check_prometheus,
                prom.replace('multikvm_instance_vms{instance="1"}',
                             'multikvm_instance_vms{instance="1"'), fixture)
        rejects("multikvm.prom", check_prometheus,
                prom.replace('multikvm_instance_vcpus{instance="2"} 6',
                             'multikvm_instance_vcpus{instance="2"} 7'), fixture)
        check("provider.yaml matches Nova's schema and the fixture", check_provider,
              prov, fixture)
        check("labels.txt is Kubernetes label syntax and matches the fixture", check_labels,
              labels, fixture)
        check("multikvm.prom parses and its values are the fixture's", check_prometheus,
              prom, fixture)
    print(f"1..{n}")
    sys.exit(1 if failed else 0)


main()
