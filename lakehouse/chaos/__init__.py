"""Chaos for KPI-mttr: faults a lakehouse really meets, the alarm each must raise, the runbook that mends it.

``faults`` is the catalogue (inject), ``alerts`` the harness's SQS subscriber to the alerts topic
(detection), ``runbook`` the recovery steps and the exit checks that end a recovery, ``mttr``
the timelines and the KPI's judge, ``run`` the loop that ties them together.
"""
