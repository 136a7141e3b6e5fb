"""A device problem in words the guard reads from two metres, with what to do instead.

The status bar's dot is easy to miss in a morning rush; these lines go into
the verdict banner itself (``VerdictBanner.set_device_problem``): when idle
the banner stops inviting codes it cannot read and says what is wrong, and
during a visit the problem stays above the reasons until the device is back.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

PROBLEM_STATES = {"lost", "reconnecting", "silent", "stalled", "error"}


def device_problem(device: str, state: str) -> tuple[str, str] | None:
    """(what is wrong, what to do) for a device in trouble, or None when it is fine or not one we alert on."""
    if device == "issuer" and state == "asking":  # not a problem: the guard is told to wait a moment
        return (QCoreApplication.translate("DeviceAlerts", "正在核验…"),
                QCoreApplication.translate("DeviceAlerts", "正在向发码机构的服务器查询这个码，请稍候"))
    if state not in PROBLEM_STATES:
        return None
    if device == "issuer":
        return (QCoreApplication.translate("DeviceAlerts", "验码服务器无应答"),
                QCoreApplication.translate("DeviceAlerts", "请人工核对健康码：绿码按 F3，黄码按 Y，红码按 R；"
                                                           "并检查网络"))
    if device == "thermometer" and state == "silent":
        return (QCoreApplication.translate("DeviceAlerts", "测温仪无读数"),
                QCoreApplication.translate("DeviceAlerts", "请检查测温仪电源与探头，先用体温计手动测温（F2）"))
    if device == "thermometer":
        return (QCoreApplication.translate("DeviceAlerts", "测温仪已断开"),
                QCoreApplication.translate("DeviceAlerts", "请手动测温：用体温计测量后按 F2 录入；并检查 USB 连接线"))
    if device == "camera":
        return (QCoreApplication.translate("DeviceAlerts", "摄像头已断开"),
                QCoreApplication.translate("DeviceAlerts", "无法自动扫码：请用扫码枪，或核对健康码后按 F3；并检查摄像头连接线"))
    if device == "scanner":
        return (QCoreApplication.translate("DeviceAlerts", "扫码枪已断开"),
                QCoreApplication.translate("DeviceAlerts", "请用摄像头扫码，或核对健康码后按 F3；并检查扫码枪连接线"))
    return None
