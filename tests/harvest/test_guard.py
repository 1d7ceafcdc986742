"""The address policy: which addresses count as internal, and what the allow list allows.

The attacks themselves (through the CLI and the pages) are in tests/security/.
"""

from __future__ import annotations

import ipaddress

import pytest

from hoctap_learn import create_app
from hoctap_learn.harvest.guard import AddressPolicy, is_internal, parse_allow_list

INTERNAL = [
    "127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.100.100.200", "0.0.0.0", "224.0.0.1", "239.1.2.3", "240.0.0.1",
    "255.255.255.255", "192.0.0.192", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1",
    "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1",
    "2002:7f00:1::1", "2002:a00:1::", "2001:db8::1",
]  # fmt: skip
PUBLIC = ["8.8.8.8", "203.113.131.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
          "2002:808:808::1"]  # fmt: skip


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses(address):
    assert is_internal(ipaddress.ip_address(address))
    assert not AddressPolicy().address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address):
    assert not is_internal(ipaddress.ip_address(address))


def test_allow_list_names_addresses_and_ranges():
    hosts, networks = parse_allow_list(" Kho.NoiBo.vn., 10.20.0.0/16 ,[fd12::1], 127.0.0.2,,")
    policy = AddressPolicy(hosts, networks)
    assert policy.host_allowed("kho.noibo.vn") and not policy.host_allowed("noibo.vn")
    ip = ipaddress.ip_address
    assert policy.address_allowed(ip("10.20.3.4")) and not policy.address_allowed(ip("10.21.0.1"))
    assert policy.address_allowed(ip("fd12::1")) and policy.address_allowed(ip("127.0.0.2"))
    assert policy.address_allowed(ip("::ffff:127.0.0.2"))  # the same address, mapped
    assert not policy.address_allowed(ip("127.0.0.1"))


def test_metadata_addresses_need_an_exact_entry():
    ip = ipaddress.ip_address
    wide = AddressPolicy(*parse_allow_list("169.254.0.0/16, fd00::/8"))
    assert wide.address_allowed(ip("169.254.1.1"))
    assert not wide.address_allowed(ip("169.254.169.254"))
    assert not wide.address_allowed(ip("fd00:ec2::254"))
    assert AddressPolicy(*parse_allow_list("169.254.169.254")).address_allowed(
        ip("169.254.169.254")
    )


@pytest.mark.parametrize("value", ["10.0.0.0/33", "http://kho.vn", "kho..vn", "fd00::/129"])
def test_a_bad_allow_list_stops_the_app_at_start(tmp_path, value):
    with pytest.raises(ValueError, match="HOCTAP_HARVEST_ALLOW_HOSTS"):
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                "INSTANCE_PATH": tmp_path,
                "SECRET_KEY": "x",
                "HOCTAP_HARVEST_ALLOW_HOSTS": value,
            }
        )
