<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>AdminStep</name>
    <message>
        <location filename="../busy.py" line="114" />
        <source>操作失败：%1</source>
        <translation>Failed: %1</translation>
    </message>
    <message>
        <location filename="../busy.py" line="120" />
        <source>数据库正忙（可能被其他程序占用），正在等待，最多 %1 秒…</source>
        <translation>The database is busy (perhaps held by another program); waiting up to %1 s…</translation>
    </message>
    <message>
        <location filename="../busy.py" line="144" />
        <source>数据库被占用，%1 秒内没有完成，未执行：请稍后重试</source>
        <translation>The database is held by another program; not done within %1 s, nothing was done: try again later</translation>
    </message>
    <message>
        <location filename="../busy.py" line="147" />
        <source>已停止等待，未执行</source>
        <translation>Stopped waiting; nothing was done</translation>
    </message>
</context>
<context>
    <name>CameraPage</name>
    <message>
        <location filename="../setup_devices.py" line="57" />
        <source>摄像头</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="58" />
        <source>选择对着门岗的摄像头，确认下方能看到画面。只用扫码枪时可不选。</source>
        <translation>Pick the camera facing the gate and check that its picture shows below. Not needed if you only use a scanner.</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="64" />
        <source>不使用摄像头（只用扫码枪）</source>
        <translation>No camera (scanner only)</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="65" />
        <source>其他：网络摄像头地址或视频文件…</source>
        <translation>Other: network camera address or video file…</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="109" />
        <source>未选择摄像头</source>
        <translation>No camera selected</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="110" />
        <source>不使用摄像头：只用扫码枪读码</source>
        <translation>No camera: codes are read by the scanner only</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="112" />
        <source>正在打开 %1 …</source>
        <translation>Opening %1 …</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="123" />
        <source>画面正常：%1</source>
        <translation>Picture OK: %1</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="128" />
        <source>打不开这个摄像头：%1。请换一个或检查连接线。</source>
        <translation>Cannot open this camera: %1. Pick another or check the cable.</translation>
    </message>
</context>
<context>
    <name>CameraView</name>
    <message>
        <location filename="../widgets.py" line="91" />
        <source>等待摄像头画面…</source>
        <translation>Waiting for the camera…</translation>
    </message>
</context>
<context>
    <name>DeviceAlerts</name>
    <message>
        <location filename="../device_alerts.py" line="19" />
        <source>正在核验…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="20" />
        <source>正在向发码机构的服务器查询这个码，请稍候</source>
        <translation>Asking the issuer's server about this code, one moment</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="24" />
        <source>验码服务器无应答</source>
        <translation>The code-check server does not answer</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="25" />
        <source>请人工核对健康码：绿码按 F3，黄码按 Y，红码按 R；并检查网络</source>
        <translation>Check the health code by eye: green F3, yellow Y, red R; and check the network</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="28" />
        <source>测温仪无读数</source>
        <translation>Thermometer gives no readings</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="29" />
        <source>请检查测温仪电源与探头，先用体温计手动测温（F2）</source>
        <translation>Check the thermometer's power and probe; meanwhile measure by hand and type it (F2)</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="31" />
        <source>测温仪已断开</source>
        <translation>Thermometer disconnected</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="32" />
        <source>请手动测温：用体温计测量后按 F2 录入；并检查 USB 连接线</source>
        <translation>Measure by hand: use a clinical thermometer and type it with F2; check the USB cable</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="34" />
        <source>摄像头已断开</source>
        <translation>Camera disconnected</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="35" />
        <source>无法自动扫码：请用扫码枪，或核对健康码后按 F3；并检查摄像头连接线</source>
        <translation>Codes cannot be read automatically: use the scanner, or check the code by eye and press F3; check the camera cable</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="37" />
        <source>扫码枪已断开</source>
        <translation>Scanner disconnected</translation>
    </message>
    <message>
        <location filename="../device_alerts.py" line="38" />
        <source>请用摄像头扫码，或核对健康码后按 F3；并检查扫码枪连接线</source>
        <translation>Scan with the camera, or check the code by eye and press F3; check the scanner cable</translation>
    </message>
</context>
<context>
    <name>ElementTile</name>
    <message>
        <location filename="../widgets.py" line="235" />
        <source>门卫确认</source>
        <translation>Guard confirmed</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="235" />
        <source>签名验证</source>
        <translation>Signature verified</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="235" />
        <source>设备自动</source>
        <translation>Automatic</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="236" />
        <source>验码服务</source>
        <translation>Issuer server</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="236" />
        <source>颜色识别（未验证）</source>
        <translation>Colour read (unverified)</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="237" />
        <source>名册核对</source>
        <translation>Roster</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <location filename="../export_dialog.py" line="104" />
        <source>导出入校记录</source>
        <translation>Export entries</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="118" />
        <source>全部通道</source>
        <translation>All lanes</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="119" />
        <source>师生通道</source>
        <translation>Students and staff</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="120" />
        <source>临时人员专用通道</source>
        <translation>Temporary workers' lane</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="121" />
        <source>仅异常</source>
        <translation>Flagged only</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="123" />
        <source>PDF 日报</source>
        <translation>PDF daily report</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="125" />
        <source>英文表头</source>
        <translation>English headers</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="127" />
        <source>选择…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="133" />
        <source>起始日期</source>
        <translation>From</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="134" />
        <source>结束日期</source>
        <translation>To</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="135" />
        <source>通道</source>
        <translation>Lane</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="137" />
        <source>格式</source>
        <translation>Format</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="139" />
        <source>文件</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="166" />
        <source>正在导出…</source>
        <translation>Exporting…</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="193" />
        <source>请填写要导出的文件，或点“选择…”</source>
        <translation>Enter the file to export to, or press Choose…</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="195" />
        <source>请写出完整位置（如 /home/门卫/文档/入校记录%1），或点“选择…”</source>
        <translation>Give the full location (e.g. /home/guard/Documents/entries%1), or press Choose…</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="197" />
        <source>这是一个文件夹：请在后面加上文件名（如 入校记录%1）</source>
        <translation>This is a folder: add a file name after it (e.g. entries%1)</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="199" />
        <source>没有这个文件夹：%1</source>
        <translation>No such folder: %1</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="201" />
        <source>所选格式的文件名应以 %1 结尾</source>
        <translation>For the chosen format the file name must end in %1</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="207" />
        <source>文件已存在</source>
        <translation>The file exists</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="208" />
        <source>%1 已存在。要用这次导出替换它吗？</source>
        <translation>%1 exists. Replace it with this export?</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="210" />
        <source>未导出：原文件保留</source>
        <translation>Not exported: the file there is kept</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="240" />
        <source>正在取消导出…</source>
        <translation>Cancelling the export…</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="249" />
        <source>已导出并签名：%1</source>
        <translation>Exported and signed: %1</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="254" />
        <source>导出失败：%1</source>
        <translation>Export failed: %1</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="273" />
        <source>导出到</source>
        <translation>Export to</translation>
    </message>
</context>
<context>
    <name>FlaggedList</name>
    <message>
        <location filename="../panels.py" line="129" />
        <source>送观察点</source>
        <translation>Observation</translation>
    </message>
    <message>
        <location filename="../panels.py" line="130" />
        <source>已复核，解除</source>
        <translation>Re-checked, clear</translation>
    </message>
    <message>
        <location filename="../panels.py" line="162" />
        <source>；</source>
        <translation>; </translation>
    </message>
</context>
<context>
    <name>GuardKeys</name>
    <message>
        <location filename="../guard_keys.py" line="78" />
        <source>不能确认：%1</source>
        <translation>Cannot confirm: %1</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="107" />
        <location filename="../guard_keys.py" line="109" />
        <source>人工改判</source>
        <translation>Override</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="103" />
        <source>改判需要管理员 PIN</source>
        <translation>Overriding needs the admin PIN</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="118" />
        <source>门卫送观察点</source>
        <translation>Guard sent to observation</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="142" />
        <location filename="../guard_keys.py" line="147" />
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="148" />
        <source>已保存到 %1，重启后生效。</source>
        <translation>Saved to %1; restart to apply.</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="156" />
        <source>导出需要管理员 PIN</source>
        <translation>Exporting needs the admin PIN</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="161" />
        <location filename="../guard_keys.py" line="163" />
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="173" />
        <source>正在核验管理员 PIN…</source>
        <translation>Checking the admin PIN…</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="182" />
        <source>验码服务器</source>
        <translation>Code server</translation>
    </message>
    <message>
        <location filename="../guard_keys.py" line="184" />
        <source>尚未查询</source>
        <translation>Not asked yet</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="64" />
        <source>校园门岗入校核验</source>
        <translation>School gate check</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="120" />
        <source>入校三要素核验：验码 · 测温 · 戴口罩</source>
        <translation>Gate check: code · temperature · mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="125" />
        <source>师生通道 (F9)</source>
        <translation>Students and staff (F9)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="125" />
        <source>临时人员专用通道 (F10)</source>
        <translation>Worker lane (F10)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="138" />
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="151" />
        <source>验码</source>
        <translation>Code</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="151" />
        <source>测温</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="152" />
        <source>口罩</source>
        <translation>Mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="221" />
        <source>今日异常</source>
        <translation>Flagged today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="222" />
        <source>今日概况</source>
        <translation>Today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="232" />
        <source>摄像头</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="232" />
        <source>测温仪</source>
        <translation>Thermometer</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="233" />
        <source>数据库</source>
        <translation>Database</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="233" />
        <source>解码</source>
        <translation>Decoder</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="234" />
        <source>校准</source>
        <translation>Calibration</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="254" />
        <source>没有摄像头，不做人脸检测</source>
        <translation>No camera: no face detection</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="256" />
        <source>未配置测温仪：体温由门卫按 F2 录入</source>
        <translation>No thermometer configured: the guard types temperatures with F2</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="262" />
        <source>键盘式扫码枪：无法检测是否插好，扫一个码试试</source>
        <translation>Keyboard scanner: cannot tell whether it is plugged in; scan a code to try it</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="262" />
        <source>键盘式</source>
        <translation>Keyboard</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="134" />
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="211" />
        <source>其他快捷键：F7 登记 · F8 交接 · Shift+F4 行程卡异常 · Shift+F12 未接种 · F9/F10 切换通道 · F11 全屏</source>
        <translation>More keys: F7 register · F8 hand-off · Shift+F4 itinerary risk · Shift+F12 not vaccinated · F9/F10 lanes · F11 full screen</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="234" />
        <source>人脸检测</source>
        <translation>Faces</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="236" />
        <source>同步</source>
        <translation>Sync</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="237" />
        <source>全校今日</source>
        <translation>School today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="252" />
        <source>未接摄像头：请用扫码枪扫码</source>
        <translation>No camera: scan codes with the scanner</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="253" />
        <location filename="../main_window.py" line="254" />
        <location filename="../main_window.py" line="256" />
        <source>未使用</source>
        <translation>Not used</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="258" />
        <source>扫码枪</source>
        <translation>Scanner</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="307" />
        <source>语音：开 Ctrl+M</source>
        <translation>Voice: on Ctrl+M</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="307" />
        <source>语音：关 Ctrl+M</source>
        <translation>Voice: off Ctrl+M</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <location filename="../dialogs.py" line="55" />
        <source>人工改判</source>
        <translation>Override</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="57" />
        <source>放行</source>
        <translation>Allow</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="58" />
        <source>禁止入校</source>
        <translation>Deny entry</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="65" />
        <source>原因（必填，记入日志）：</source>
        <translation>Reason (required, logged):</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="85" />
        <source>请填写改判原因</source>
        <translation>Please give a reason</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <location filename="../dialogs.py" line="95" />
        <source>管理员验证</source>
        <translation>Admin check</translation>
    </message>
</context>
<context>
    <name>PinEntry</name>
    <message>
        <location filename="../dialogs.py" line="21" />
        <source>这是扫码枪扫入的内容，不是手输的 PIN：未核验，不计入尝试次数。请用键盘输入 PIN</source>
        <translation>That came from the code scanner, not typed: not checked and not counted as an attempt. Type the PIN on the keyboard</translation>
    </message>
</context>
<context>
    <name>PinPage</name>
    <message>
        <location filename="../setup_flow.py" line="195" />
        <source>管理员 PIN</source>
        <translation>Admin PIN</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="199" />
        <source>修改设置、导出数据、人工改判都需要它。6–12 位数字，请交给负责的老师保管。</source>
        <translation>Needed to change settings, export data and override verdicts. 6–12 digits; give it to the teacher in charge.</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="225" />
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="216" />
        <source>现有的 PIN</source>
        <translation>Current PIN</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="197" />
        <source>此门岗已设置管理员 PIN：请输入现有的 PIN 以保存设置。要更换 PIN 就再填新的。</source>
        <translation>This gate has an admin PIN: enter the current PIN to save the settings. To change the PIN, also fill in a new one.</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="218" />
        <source>现有的 PIN 是旧规则下设的（如 4 位）：新 PIN 须为 6–12 位数字；旧 PIN 在更换前仍可使用，请在下面设一个新的。</source>
        <translation>The current PIN was set under the old rule (e.g. 4 digits): a new PIN must have 6–12 digits; the old one still works until it is changed, so please set a new one below.</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="221" />
        <source>新 PIN（不换可不填）</source>
        <translation>New PIN (leave empty to keep the current one)</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="222" />
        <source>再输一次新 PIN</source>
        <translation>New PIN again</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="226" />
        <source>再输一次</source>
        <translation>Again</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="243" />
        <source>PIN 须为 6–12 位数字</source>
        <translation>The PIN must be 6–12 digits</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="245" />
        <source>两次输入不一致</source>
        <translation>The two entries differ</translation>
    </message>
</context>
<context>
    <name>RetakeList</name>
    <message>
        <location filename="../panels.py" line="307" />
        <source>复测等候</source>
        <translation>Waiting for a retake</translation>
    </message>
    <message>
        <location filename="../panels.py" line="311" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../panels.py" line="311" />
        <source>首次体温</source>
        <translation>First reading</translation>
    </message>
    <message>
        <location filename="../panels.py" line="311" />
        <source>复测倒计时</source>
        <translation>Retake in</translation>
    </message>
    <message>
        <location filename="../panels.py" line="319" />
        <source>叫回复测</source>
        <translation>Call back for retake</translation>
    </message>
    <message>
        <location filename="../panels.py" line="335" />
        <location filename="../panels.py" line="340" />
        <source>可以复测</source>
        <translation>Retake now</translation>
    </message>
    <message>
        <location filename="../panels.py" line="336" />
        <source>（未识别）</source>
        <translation>(unidentified)</translation>
    </message>
</context>
<context>
    <name>ScannerPage</name>
    <message>
        <location filename="../setup_flow.py" line="128" />
        <source>扫码枪（可选）</source>
        <translation>Code scanner (optional)</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="129" />
        <source>没有扫码枪就直接下一步。键盘式扫码枪插上即可用；串口扫码枪请选它的串口。</source>
        <translation>No scanner: just go on. A keyboard-type scanner works when plugged in; for a serial scanner pick its port.</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="132" />
        <source>不使用扫码枪</source>
        <translation>No scanner</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="133" />
        <source>键盘式扫码枪（USB，扫完自动回车）</source>
        <translation>Keyboard-type scanner (USB, sends Enter after each code)</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="135" />
        <source>串口扫码枪：%1</source>
        <translation>Serial scanner: %1</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="136" />
        <source>其他串口…</source>
        <translation>Other serial port…</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="141" />
        <source>点这里，再用扫码枪扫任意一个码：测量扫码枪的速度</source>
        <translation>Click here, then scan any code: this measures the scanner's speed</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="166" />
        <source>没有测到扫码：请点输入框后扫一个码（不要手动输入）</source>
        <translation>No scan measured: click the box, then scan a code (do not type)</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="172" />
        <source>这个扫码枪太慢（最慢 %1 毫秒一个键），无法与门卫按键区分：请把它设为快速模式，或改用串口扫码枪</source>
        <translation>This scanner is too slow (up to %1 ms a key) to tell from the guard's keys: set it to its fast mode, or use a serial scanner</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="175" />
        <source>扫码枪最慢 %1 毫秒一个键：按键间隔设为 %2 毫秒。</source>
        <translation>The scanner's slowest key: %1 ms. The key gap is set to %2 ms.</translation>
    </message>
</context>
<context>
    <name>SchoolPage</name>
    <message>
        <location filename="../setup_flow.py" line="48" />
        <source>学校与门岗</source>
        <translation>School and gate</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="49" />
        <source>这台电脑在哪所学校、哪个门岗。出现在导出报表和日志里。</source>
        <translation>Which school and gate this PC serves. It appears in exports and logs.</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="52" />
        <source>如：第三中学</source>
        <translation>e.g. No. 3 Middle School</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="58" />
        <source>学校名称</source>
        <translation>School name</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="59" />
        <source>门岗编号（字母或数字）</source>
        <translation>Gate id (letters or digits)</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="74" />
        <source>门岗编号只能用字母、数字、-、_、.，最多 40 个（如 east-1）</source>
        <translation>The gate id may only use letters, digits, -, _ and ., at most 40 (e.g. east-1)</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="76" />
        <source>请填写学校名称：它出现在导出的报表上</source>
        <translation>Enter the school's name: it appears on the exported reports</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../dialogs.py" line="143" />
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="160" />
        <source>发热阈值</source>
        <translation>Fever threshold</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="161" />
        <source>复测等待</source>
        <translation>Retake wait</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="162" />
        <source>核酸有效期</source>
        <translation>Nucleic-acid window</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="163" />
        <source>结果显示时长</source>
        <translation>Result display time</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="164" />
        <source>单人核验超时</source>
        <translation>Visit timeout</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="165" />
        <source>规则版本</source>
        <translation>Policy version</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="165" />
        <source>%1（改动阈值或规则后自动更新）</source>
        <translation>%1 (updated automatically when thresholds or rules change)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="166" />
        <source>阈值</source>
        <translation>Thresholds</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="171" />
        <source>教职工</source>
        <translation>Staff</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="171" />
        <source>学生</source>
        <translation>Student</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="171" />
        <source>临时人员</source>
        <translation>Temporary worker</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="172" />
        <source>访客</source>
        <translation>Visitor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="179" />
        <source>必查（不通过则拒绝）</source>
        <translation>Hard (deny on failure)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="179" />
        <source>提示（放行并标记）</source>
        <translation>Soft (allow and flag)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="179" />
        <source>不查</source>
        <translation>Not checked</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="184" />
        <source>通道规则</source>
        <translation>Lane rules</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="198" />
        <source>摄像头（v4l2:0 / msmf:0 / rtsp://… / 空=不用）</source>
        <translation>Camera (v4l2:0 / msmf:0 / rtsp://… / empty: none)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="199" />
        <source>测温仪串口（/dev/ttyUSB0 / COM3 / usb:VID:PID / 空=手动）</source>
        <translation>Thermometer port (/dev/ttyUSB0 / COM3 / usb:VID:PID / empty: typed)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="200" />
        <source>扫码枪（keyboard / 串口 / 空=不用）</source>
        <translation>Code scanner (keyboard / serial port / empty: none)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="201" />
        <source>测温协议</source>
        <translation>Thermometer protocol</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="202" />
        <source>解码器</source>
        <translation>Decoder</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="203" />
        <source>设备</source>
        <translation>Devices</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="209" />
        <source>数据库（SQLAlchemy URL）</source>
        <translation>Database (SQLAlchemy URL)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="210" />
        <source>数据目录</source>
        <translation>Data folder</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="211" />
        <source>路径</source>
        <translation>Paths</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="213" />
        <source>保存需要管理员 PIN；重启后生效。</source>
        <translation>Saving needs the admin PIN; changes apply after a restart.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="222" />
        <source>管理员 PIN</source>
        <translation>Admin PIN</translation>
    </message>
</context>
<context>
    <name>SetupFlow</name>
    <message>
        <location filename="../setup_flow.py" line="282" />
        <source>门岗初次设置</source>
        <translation>Gate setup</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="311" />
        <source>保存并开始</source>
        <translation>Save and start</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="312" />
        <source>下一步</source>
        <translation>Next</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="313" />
        <source>上一步</source>
        <translation>Back</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="314" />
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="343" />
        <source>保存设置</source>
        <translation>Save the settings</translation>
    </message>
    <message>
        <location filename="../setup_flow.py" line="343" />
        <source>正在保存设置…</source>
        <translation>Saving the settings…</translation>
    </message>
</context>
<context>
    <name>StatusLight</name>
    <message>
        <location filename="../widgets.py" line="278" />
        <source>已连接</source>
        <translation>Connected</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="278" />
        <source>正常</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="279" />
        <source>连接中断，请检查连接线</source>
        <translation>Disconnected: check the cable</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="279" />
        <source>正在重连…</source>
        <translation>Reconnecting…</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="280" />
        <source>无数据，请检查电源与探头</source>
        <translation>No data: check power and sensor</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="280" />
        <source>需要校准，请用黑体或体温计校准</source>
        <translation>due: use a blackbody</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="281" />
        <source>已停止</source>
        <translation>Stopped</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="281" />
        <source>未知</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="281" />
        <source>写入失败，请查看提示</source>
        <translation>Write failed: see the message</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="281" />
        <source>正在核验…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="282" />
        <source>Haar（YuNet 不可用，检出率低）</source>
        <translation>Haar (YuNet unavailable, finds fewer faces)</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="284" />
        <source>Haar：缺少模型文件</source>
        <translation>Haar: model file missing</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="285" />
        <source>Haar：模型文件损坏</source>
        <translation>Haar: model file damaged</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="286" />
        <source>Haar：OpenCV 过旧（需 4.8+）</source>
        <translation>Haar: OpenCV too old (needs 4.8+)</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="287" />
        <source>Haar：模型无法加载</source>
        <translation>Haar: model failed to load</translation>
    </message>
</context>
<context>
    <name>TemperatureDialog</name>
    <message>
        <location filename="../dialogs.py" line="30" />
        <source>手动录入体温</source>
        <translation>Type temp.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="39" />
        <source>体温计读数：</source>
        <translation>Thermometer reading:</translation>
    </message>
</context>
<context>
    <name>ThermometerPage</name>
    <message>
        <location filename="../setup_devices.py" line="144" />
        <source>测温仪</source>
        <translation>Thermometer</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="145" />
        <source>选择测温仪的串口并点“自动识别”，然后把手放在探头前，看读数是否变化。</source>
        <translation>Pick the thermometer's port and press Detect, then hold a hand in front of the probe and watch the reading change.</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="153" />
        <source>不使用测温仪（门卫手动录入体温，F2）</source>
        <translation>No thermometer (the guard types temperatures, F2)</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="154" />
        <source>其他串口…（如 COM3、/dev/ttyUSB0）</source>
        <translation>Other serial port… (e.g. COM3, /dev/ttyUSB0)</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="162" />
        <source>自动识别</source>
        <translation>Detect</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="207" />
        <source>串口已改动，请重新点“自动识别”</source>
        <translation>The port was changed: press Detect again</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="214" />
        <source>不接测温仪：每人的体温由门卫按 F2 录入。</source>
        <translation>No thermometer: the guard types each person's temperature with F2.</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="234" />
        <source>现在用的是 %1（%2 协议），下面是实时读数。换了测温仪才需要点“自动识别”。</source>
        <translation>In use now: %1 (%2 protocol); live readings below. Press Detect only if the thermometer was replaced.</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="246" />
        <source>请先选择或填写串口</source>
        <translation>Pick or type a serial port first</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="252" />
        <source>正在识别 %1（最多 10 秒）…</source>
        <translation>Detecting %1 (up to 10 s)…</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="267" />
        <source>%1 没有读数，自动识别也没有找到测温仪（%2）：保存时仍用原来的设置；请检查测温仪电源和连线后点“自动识别”。</source>
        <translation>No reading on %1 and detection found no thermometer (%2): the saved settings are kept; check the thermometer's power and cable, then press Detect.</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="271" />
        <source>没有识别出测温仪：%1</source>
        <translation>No thermometer recognised: %1</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="275" />
        <source>已识别：%1 协议，波特率 %2。下面是实时读数。</source>
        <translation>Found: %1 protocol at %2 baud. Live readings below.</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="288" />
        <source>无读数</source>
        <translation>No readings</translation>
    </message>
    <message>
        <location filename="../setup_devices.py" line="293" />
        <source>原来的设置没有读数：正在自动识别 %1（最多 10 秒）…</source>
        <translation>No reading with the saved settings: detecting %1 (up to 10 s)…</translation>
    </message>
</context>
<context>
    <name>TodayPanel</name>
    <message>
        <location filename="../panels.py" line="210" />
        <source>每小时入校人数</source>
        <translation>Entries per hour</translation>
    </message>
    <message>
        <location filename="../panels.py" line="240" />
        <source>人数</source>
        <translation>People</translation>
    </message>
</context>
<context>
    <name>VerdictBanner</name>
    <message>
        <location filename="../widgets.py" line="157" />
        <source>请出示健康码 / 学生卡</source>
        <translation>Show your health code / student card</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="166" />
        <source>通行</source>
        <translation>PASS</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="168" />
        <source>禁止通行</source>
        <translation>DENIED</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="170" />
        <source>快递交接</source>
        <translation>HAND-OFF</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="172" />
        <source>请复测</source>
        <translation>RETAKE</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="174" />
        <source>待核验</source>
        <translation>CHECKING</translation>
    </message>
</context>
<context>
    <name>WindowSlots</name>
    <message>
        <location filename="../window_slots.py" line="78" />
        <source>（返校人员）</source>
        <translation>(returnee)</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="79" />
        <source>身份：%1</source>
        <translation>Person: %1</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="93" />
        <source>绿码</source>
        <translation>Green</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="93" />
        <source>黄码</source>
        <translation>Yellow</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="93" />
        <source>红码</source>
        <translation>Red</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="94" />
        <source>无法识别</source>
        <translation>Unreadable</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="94" />
        <source>无效</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="91" />
        <source>未知二维码</source>
        <translation>Unknown QR code</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="88" />
        <source>请出示健康码</source>
        <translation>Show your health code</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="91" />
        <source>需人工核验</source>
        <translation>Guard to check</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="97" />
        <source>名册已核对</source>
        <translation>On the roster</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="98" />
        <source>卡号不在名册中</source>
        <translation>Card not in the roster</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="101" />
        <source>请测温</source>
        <translation>Measure</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="105" />
        <source>请戴口罩</source>
        <translation>Put on a mask</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="105" />
        <source>已戴</source>
        <translation>On</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="105" />
        <source>未戴</source>
        <translation>Off</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="122" />
        <source>无应答</source>
        <translation>No answer</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="122" />
        <source>拒绝查询</source>
        <translation>Refused</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="123" />
        <source>正常</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="184" />
        <source>记录尚未保存</source>
        <translation>Entries not saved</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="260" />
        <source>扫码枪太慢，分不清扫码与按键：这次没有读取，也未当作按键。请重扫；常出现请在设置向导测量扫码枪</source>
        <translation>The scanner is too slow to tell its scan from keys: this scan was neither read nor taken as keys. Scan again; if it keeps happening, measure the scanner in the setup</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="266" />
        <source>键盘式扫码枪：刚读到一个码</source>
        <translation>Keyboard scanner: a code was just read</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="266" />
        <source>已读到码</source>
        <translation>Code read</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="178" />
        <source>%1 条入校记录还在等待写入数据库（%2）。现在关闭，这些记录将丢失。</source>
        <translation>%1 entries are still waiting to be written to the database (%2). If you close now, they are lost.</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="186" />
        <source>重试写入</source>
        <translation>Try writing again</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="180" />
        <source>仍然关闭（%1 条记录丢失）</source>
        <translation>Close anyway (%1 entries lost)</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="189" />
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="222" />
        <source>写入失败，%1 条待写入</source>
        <translation>Write failed: %1 entries waiting</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="259" />
        <source>扫码未读取</source>
        <translation>Scan not read</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="274" />
        <source>不能登记：%1</source>
        <translation>Cannot register: %1</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="285" />
        <source>不能交接：%1</source>
        <translation>Cannot hand off: %1</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="324" />
        <source>无测温仪</source>
        <translation>No thermometer</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="328" />
        <source>有效</source>
        <translation>Valid</translation>
    </message>
    <message>
        <location filename="../window_slots.py" line="334" />
        <source>中心不可达</source>
        <translation>Centre unreachable</translation>
    </message>
</context>
<context>
    <name>WorkerPanel</name>
    <message>
        <location filename="../panels.py" line="36" />
        <source>临时人员：三码联查与登记</source>
        <translation>Temporary workers: three-code check and registration</translation>
    </message>
    <message>
        <location filename="../panels.py" line="40" />
        <source>健康码</source>
        <translation>Health code</translation>
    </message>
    <message>
        <location filename="../panels.py" line="40" />
        <source>行程卡</source>
        <translation>Itinerary card</translation>
    </message>
    <message>
        <location filename="../panels.py" line="41" />
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../panels.py" line="41" />
        <source>登记</source>
        <translation>Registered</translation>
    </message>
    <message>
        <location filename="../panels.py" line="49" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../panels.py" line="49" />
        <source>电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../panels.py" line="49" />
        <source>身份证号</source>
        <translation>ID number</translation>
    </message>
    <message>
        <location filename="../panels.py" line="50" />
        <source>单位</source>
        <translation>Company</translation>
    </message>
    <message>
        <location filename="../panels.py" line="51" />
        <source>事由</source>
        <translation>Purpose</translation>
    </message>
    <message>
        <location filename="../panels.py" line="51" />
        <source>车牌（选填）</source>
        <translation>Plate (optional)</translation>
    </message>
    <message>
        <location filename="../panels.py" line="66" />
        <source>登记 (F7)</source>
        <translation>Register (F7)</translation>
    </message>
    <message>
        <location filename="../panels.py" line="67" />
        <source>快递交接，不入校 (F8)</source>
        <translation>Hand-off, no entry (F8)</translation>
    </message>
</context>
</TS>