"""Samples written like the real material instructors bring: loghub's Linux, Mac and OpenSSH syslogs,
an HPC job log, OpenStack's nova log, the Nezha (Online Boutique) CSV exports of logs, metrics and
traces, and samples to the public specs of journald JSON, CloudTrail, `kubectl get events -o json`,
ALB access logs, Apache error logs and nginx access logs.

Each sample lists the originals that must not survive, by category (ips, users, hosts, accounts,
pods): the values are invented, the layouts are the real ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    name: str
    text: str
    originals: dict[str, tuple[str, ...]] = field(default_factory=dict)


LINUX_SYSLOG = Sample(
    "Linux.log",
    "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
    "ruser= rhost=218.188.2.4 \n"
    "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
    "ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root\n"
    "Jun 17 07:07:00 combo ftpd[29504]: connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at "
    "Fri Jun 17 07:07:00 2005 \n"
    "Jun 20 04:02:54 combo su(pam_unix)[30574]: session opened for user cyrusadm by (uid=0)\n"
    "Jun 20 04:03:10 combo logrotate: ALERT exited abnormally with [1]\n",
    {
        "ips": ("218.188.2.4", "24.54.76.216"),
        "hosts": ("combo", "220-135-151-1.hinet-ip.hinet.net", "24-54-76-216.bflony.adelphia.net"),
        "users": ("cyrusadm",),
    },
)

MAC_SYSLOG = Sample(
    "Mac.log",
    "Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: IOThunderboltSwitch<0>(0x0)::listenerCallback - "
    "Thunderbolt HPD packet for route = 0x0 port = 11 unplug = 0\n"
    "Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal pressure state: 1 Memory "
    "pressure state: 0\n"
    "Jul  1 09:02:26 calvisitor-10-105-160-95 Microsoft Word[14463]: Unrecognized Accessibility attribute\n"
    "Jul  1 09:03:11 authorMacBook-Pro Google Chrome Helper[36405]: Couldn't set selectedTextBackgroundColor\n",
    {"hosts": ("calvisitor-10-105-160-95", "authorMacBook-Pro")},
)

OPENSSH = Sample(
    "OpenSSH.log",
    "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n"
    "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port "
    "38926 ssh2\n"
    "Dec 10 07:07:38 LabSZ sshd[24206]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
    "tty=ssh ruser= rhost=52.80.34.196  user=root\n"
    "Dec 10 09:12:35 LabSZ sshd[24492]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2\n"
    "Dec 10 09:12:35 LabSZ sshd[24492]: pam_unix(sshd:session): session opened for user fztu by (uid=0)\n"
    "Dec 10 09:32:20 LabSZ sshd[24680]: Received disconnect from 112.95.230.3: 11: Bye Bye [preauth]\n"
    "Dec 10 10:14:11 LabSZ sshd[25055]: reverse mapping checking getaddrinfo for 195-154-37-122.rev.poneytelecom.eu "
    "[195.154.37.122] failed - POSSIBLE BREAK-IN ATTEMPT!\n",
    {
        "ips": ("173.234.31.186", "52.80.34.196", "119.137.62.142", "112.95.230.3", "195.154.37.122"),
        "hosts": ("LabSZ", "195-154-37-122.rev.poneytelecom.eu"),
        "users": ("webmaster", "fztu"),
    },
)

HPC_JOBS = Sample(
    "hpc-jobs.log",
    "2005-11-09 12:01:01 node-017 slurmd[2211]: launching job 4711 for user=jsmith42 cwd=/g/g90/jsmith42/sim\n"
    "2005-11-09 12:01:02 node-017 slurmd[2211]: job 4711: open /g/g90/jsmith42/sim/input.nml: Permission denied\n"
    "2005-11-09 12:05:40 node-018 quota[88]: jsmith42 over soft limit on /p/lscratchb\n",
    {"users": ("jsmith42",)},
)

OPENSTACK = Sample(
    "nova-api.log",
    "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server "
    "[req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e "
    '- - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 '
    "time: 0.2477829\n",
    {
        "ips": ("10.11.10.1",),
        "accounts": ("113d3a99c3da401fbd62cc2caa5b96d2", "54fadb412c4e40cdbaed9335e4c35a9e"),
    },
)

_NEZHA_LOG_BODY = json.dumps(
    {
        "http.req.id": "2c3f9d2e-8a0b-4a8e-9b7e-2f6c3d4e5a6b",
        "http.req.method": "GET",
        "http.req.path": "/product/OLJCESPC7Z",
        "message": "request complete",
        "peer.address": "10.244.1.37:52146",
    }
)
NEZHA_LOGS = Sample(
    "nezha-logs.csv",
    "Timestamp,PodName,TraceID,SpanID,Log\n"
    '2022-08-22 03:51:02.316,frontend-579b9bff58-t2dbm,4f6d0a0e0c5b2a3f8e7d6c5b4a392817,8e7d6c5b4a392817,"'
    + _NEZHA_LOG_BODY.replace('"', '""')
    + '"\n'
    "2022-08-22 03:51:02.401,currencyservice-cf787dd48-vpjrd,4f6d0a0e0c5b2a3f8e7d6c5b4a392817,1a2b3c4d5e6f7081,"
    '"conversion request successful, pod currencyservice-cf787dd48-vpjrd"\n',
    {"pods": ("579b9bff58-t2dbm", "cf787dd48-vpjrd"), "ips": ("10.244.1.37",)},
)

NEZHA_METRICS = Sample(
    "nezha-metrics.csv",
    "Time,TimeStamp,PodName,CpuUsage(m),MemoryUsage(Mi),NodeName\n"
    "2022-08-22 03:51:00,1661140260,currencyservice-cf787dd48-vpjrd,12,45,gke-boutique-pool-1-7f3a9c21-xq7z\n"
    "2022-08-22 03:52:00,1661140320,frontend-579b9bff58-t2dbm,85,120,ip-10-0-3-17.eu-west-1.compute.internal\n",
    {
        "pods": ("cf787dd48-vpjrd", "579b9bff58-t2dbm"),
        "ips": ("10-0-3-17",),
        "hosts": ("gke-boutique-pool-1-7f3a9c21-xq7z", "ip-10-0-3-17.eu-west-1.compute.internal"),
    },
)

NEZHA_TRACES = Sample(
    "nezha-traces.csv",
    "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
    "4f6d0a0e0c5b2a3f8e7d6c5b4a392817,8e7d6c5b4a392817,,frontend-579b9bff58-t2dbm,GET /cart,"
    "1661140262316000000,1661140262401000000,85000\n",
    {"pods": ("579b9bff58-t2dbm",)},
)

JOURNALD = Sample(
    "journal.json",
    json.dumps(
        {
            "__REALTIME_TIMESTAMP": "1704103200000000",
            "_HOSTNAME": "orders-db7.acmecorp.internal",
            "_MACHINE_ID": "8f3c2a1b9d4e4f6a8b7c6d5e4f3a2b1c",
            "_BOOT_ID": "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6",
            "_COMM": "sshd",
            "_PID": "1234",
            "MESSAGE": "Accepted publickey for mhansen from 10.20.30.40 port 51234 ssh2: ED25519 "
            "SHA256:Yk8m2vQ4pL9xW3nR7tZ1cB6dF0hJ5sK2gA8eU4iO3qM",
        }
    )
    + "\n",
    {
        "hosts": ("orders-db7.acmecorp.internal",),
        "users": ("mhansen",),
        "ips": ("10.20.30.40",),
        "accounts": ("8f3c2a1b9d4e4f6a8b7c6d5e4f3a2b1c", "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"),
    },
)

CLOUDTRAIL = Sample(
    "cloudtrail.json",
    json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "1.08",
                    "userIdentity": {
                        "type": "IAMUser",
                        "principalId": "AIDAJQABLZS4A3QDU576Q",
                        "arn": "arn:aws:iam::483920175562:user/kbrandt",
                        "accountId": "483920175562",
                        "accessKeyId": "AKIAW7QX3ZP2LMN4R5T6",
                        "userName": "kbrandt",
                    },
                    "eventTime": "2026-03-10T14:03:12Z",
                    "eventSource": "s3.amazonaws.com",
                    "eventName": "PutBucketPolicy",
                    "awsRegion": "eu-west-1",
                    "sourceIPAddress": "81.2.69.160",
                    "userAgent": "aws-cli/2.15.0",
                    "requestID": "7KJ2X9QHZB4R1M3N",
                    "eventID": "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "recipientAccountId": "483920175562",
                }
            ]
        },
        indent=2,
    ),
    {"accounts": ("483920175562", "AIDAJQABLZS4A3QDU576Q"), "users": ("kbrandt",), "ips": ("81.2.69.160",)},
)

K8S_EVENTS = Sample(
    "events.json",
    json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "kind": "Event",
                    "metadata": {"name": "checkoutservice-7d4b9c8f6-x2kqp.17a8b9c0d1e2f3a4", "namespace": "shop"},
                    "involvedObject": {"kind": "Pod", "name": "checkoutservice-7d4b9c8f6-x2kqp", "namespace": "shop"},
                    "reason": "BackOff",
                    "message": "Back-off restarting failed container server in pod "
                    "checkoutservice-7d4b9c8f6-x2kqp_shop(5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f)",
                    "source": {"component": "kubelet", "host": "gke-shop-prod-pool-1-a1b2c3d4-xq7z"},
                    "firstTimestamp": "2026-03-10T14:03:12Z",
                    "count": 5,
                    "type": "Warning",
                }
            ],
        },
        indent=2,
    ),
    {"pods": ("7d4b9c8f6-x2kqp",), "hosts": ("gke-shop-prod-pool-1-a1b2c3d4-xq7z",)},
)

ALB = Sample(
    "alb.log",
    "https 2026-03-10T14:03:12.123456Z app/shop-prod-alb/50dc6c495c0c9188 81.2.69.142:56324 10.0.2.15:8080 "
    '0.001 0.120 0.000 503 503 231 512 "GET https://shop.acmecorp.com:443/api/cart HTTP/1.1" "Mozilla/5.0" '
    "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 "
    "arn:aws:elasticloadbalancing:eu-west-1:483920175562:targetgroup/shop-tg/73e2d6bc24d8a067 "
    '"Root=1-58337262-36d228ad5d99923122bbe354" "shop.acmecorp.com" '
    '"arn:aws:acm:eu-west-1:483920175562:certificate/12345678-1234-1234-1234-123456789012" 0 '
    '2026-03-10T14:03:12.003000Z "forward" "-" "-" "10.0.2.15:8080" "503" "-" "-"\n',
    {"ips": ("81.2.69.142", "10.0.2.15"), "hosts": ("shop.acmecorp.com",), "accounts": ("483920175562",)},
)

APACHE_ERROR = Sample(
    "apache-error.log",
    "[Sun Dec 04 04:47:44 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/\n"
    "[Sun Dec 04 04:51:08 2005] [notice] jk2_init() Found child 6725 in scoreboard slot 10\n",
    {"ips": ("222.166.160.184",)},
)

NGINX_ACCESS = Sample(
    "access.log",
    '81.2.69.160 - rkowalski [10/Mar/2026:14:03:12 +0000] "GET /admin HTTP/1.1" 401 0 "-" "curl/8.0"\n'
    '2001:4860:4860::8844 - - [10/Mar/2026:14:03:13 +0000] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.29"\n',
    {"ips": ("81.2.69.160", "2001:4860:4860::8844"), "users": ("rkowalski",)},
)

SAMPLES: tuple[Sample, ...] = (
    LINUX_SYSLOG,
    MAC_SYSLOG,
    OPENSSH,
    HPC_JOBS,
    OPENSTACK,
    NEZHA_LOGS,
    NEZHA_METRICS,
    NEZHA_TRACES,
    JOURNALD,
    CLOUDTRAIL,
    K8S_EVENTS,
    ALB,
    APACHE_ERROR,
    NGINX_ACCESS,
)
