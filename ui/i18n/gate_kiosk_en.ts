<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>CameraView</name>
    <message>
        <location filename="../widgets.py" line="55" />
        <source>等待摄像头画面…</source>
        <translation>Waiting for the camera…</translation>
    </message>
</context>
<context>
    <name>ElementTile</name>
    <message>
        <location filename="../widgets.py" line="156" />
        <source>门卫确认</source>
        <translation>Guard confirmed</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="156" />
        <source>签名验证</source>
        <translation>Signature verified</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="156" />
        <source>设备自动</source>
        <translation>Automatic</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="157" />
        <source>验码服务</source>
        <translation>Issuer server</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="157" />
        <source>颜色识别（未验证）</source>
        <translation>Colour read (unverified)</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="158" />
        <source>名册核对</source>
        <translation>Roster</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <location filename="../export_dialog.py" line="48" />
        <source>导出入校记录</source>
        <translation>Export entries</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="59" />
        <source>全部通道</source>
        <translation>All lanes</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="60" />
        <source>师生通道</source>
        <translation>Students and staff</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="61" />
        <source>临时人员专用通道</source>
        <translation>Temporary workers' lane</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="62" />
        <source>仅异常</source>
        <translation>Flagged only</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="64" />
        <source>PDF 日报</source>
        <translation>PDF daily report</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="66" />
        <source>英文表头</source>
        <translation>English headers</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="68" />
        <source>选择…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="74" />
        <source>起始日期</source>
        <translation>From</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="75" />
        <source>结束日期</source>
        <translation>To</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="76" />
        <source>通道</source>
        <translation>Lane</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="78" />
        <source>格式</source>
        <translation>Format</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="80" />
        <source>文件</source>
        <translation>File</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="104" />
        <source>正在导出…</source>
        <translation>Exporting…</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="124" />
        <source>已导出并签名：%1</source>
        <translation>Exported and signed: %1</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="128" />
        <source>导出失败：%1</source>
        <translation>Export failed: %1</translation>
    </message>
    <message>
        <location filename="../export_dialog.py" line="142" />
        <source>导出到</source>
        <translation>Export to</translation>
    </message>
</context>
<context>
    <name>FlaggedList</name>
    <message>
        <location filename="../panels.py" line="98" />
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <location filename="../panels.py" line="98" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../panels.py" line="98" />
        <source>身份</source>
        <translation>Person</translation>
    </message>
    <message>
        <location filename="../panels.py" line="98" />
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../panels.py" line="99" />
        <source>体温</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../panels.py" line="99" />
        <source>跟进</source>
        <translation>Follow-up</translation>
    </message>
    <message>
        <location filename="../panels.py" line="108" />
        <source>送观察点</source>
        <translation>Send to observation</translation>
    </message>
    <message>
        <location filename="../panels.py" line="109" />
        <source>已复核，解除</source>
        <translation>Re-checked, clear</translation>
    </message>
    <message>
        <location filename="../panels.py" line="119" />
        <source>待复测</source>
        <translation>Retake due</translation>
    </message>
    <message>
        <location filename="../panels.py" line="119" />
        <source>已送观察点</source>
        <translation>Sent to observation</translation>
    </message>
    <message>
        <location filename="../panels.py" line="119" />
        <source>已解除</source>
        <translation>Cleared</translation>
    </message>
    <message>
        <location filename="../panels.py" line="120" />
        <source>待处理</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../panels.py" line="133" />
        <source>学生</source>
        <translation>Student</translation>
    </message>
    <message>
        <location filename="../panels.py" line="133" />
        <source>教职工</source>
        <translation>Staff</translation>
    </message>
    <message>
        <location filename="../panels.py" line="133" />
        <source>快递员</source>
        <translation>Courier</translation>
    </message>
    <message>
        <location filename="../panels.py" line="134" />
        <source>送货</source>
        <translation>Delivery</translation>
    </message>
    <message>
        <location filename="../panels.py" line="134" />
        <source>垃圾清运</source>
        <translation>Garbage transport</translation>
    </message>
    <message>
        <location filename="../panels.py" line="134" />
        <source>临时人员</source>
        <translation>Temporary worker</translation>
    </message>
    <message>
        <location filename="../panels.py" line="135" />
        <source>访客</source>
        <translation>Visitor</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="81" />
        <source>校园门岗入校核验</source>
        <translation>School gate check</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="114" />
        <source>入校三要素核验：验码 · 测温 · 戴口罩</source>
        <translation>Gate check: code · temperature · mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="119" />
        <source>师生通道 (F9)</source>
        <translation>Students and staff (F9)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="119" />
        <source>临时人员专用通道 (F10)</source>
        <translation>Worker lane (F10)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="132" />
        <location filename="../main_window.py" line="302" />
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="145" />
        <source>验码</source>
        <translation>Code</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="145" />
        <source>测温</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="146" />
        <location filename="../main_window.py" line="421" />
        <source>口罩</source>
        <translation>Mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="168" />
        <source>确认已戴口罩</source>
        <translation>Confirm mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="169" />
        <source>手动录入体温</source>
        <translation>Type temperature</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="170" />
        <source>人工核验健康码</source>
        <translation>Confirm health code</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="171" />
        <source>确认行程卡</source>
        <translation>Confirm itinerary card</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="172" />
        <location filename="../main_window.py" line="276" />
        <source>人工改判</source>
        <translation>Override verdict</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="173" />
        <source>送观察点</source>
        <translation>Send to observation</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="174" />
        <source>下一位</source>
        <translation>Next person</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="183" />
        <source>其他快捷键：F7 登记 · F8 交接 · Enter 下一位 · F9/F10 切换通道 · F11 全屏</source>
        <translation>More keys: F7 register · F8 hand-off · Enter next · F9/F10 lane · F11 full screen</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="192" />
        <source>今日异常</source>
        <translation>Flagged today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="193" />
        <source>今日概况</source>
        <translation>Today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="201" />
        <source>摄像头</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="201" />
        <source>测温仪</source>
        <translation>Thermometer</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="202" />
        <source>数据库</source>
        <translation>Database</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="202" />
        <source>解码</source>
        <translation>Decoder</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="203" />
        <source>校准</source>
        <translation>Calibration</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="385" />
        <source>写入失败，%1 条待写入</source>
        <translation>Write failed: %1 entries waiting</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="408" />
        <source>有效</source>
        <translation>Valid</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="285" />
        <source>门卫送观察点</source>
        <translation>Guard sent to observation</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="128" />
        <location filename="../main_window.py" line="314" />
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="205" />
        <source>同步</source>
        <translation>Sync</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="206" />
        <source>全校今日</source>
        <translation>School today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="270" />
        <source>改判需要管理员 PIN</source>
        <translation>Overriding needs the admin PIN</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="302" />
        <source>已保存到 %1，重启后生效。</source>
        <translation>Saved to %1; restart to apply.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="310" />
        <source>导出需要管理员 PIN</source>
        <translation>Exporting needs the admin PIN</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="348" />
        <source>身份：%1</source>
        <translation>Person: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="355" />
        <source>绿码</source>
        <translation>Green</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="355" />
        <location filename="../main_window.py" line="431" />
        <source>黄码</source>
        <translation>Yellow</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="355" />
        <location filename="../main_window.py" line="431" />
        <source>红码</source>
        <translation>Red</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="356" />
        <source>无法识别</source>
        <translation>Unreadable</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="356" />
        <source>无效</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="357" />
        <source>名册已核对</source>
        <translation>On the roster</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="357" />
        <source>请出示</source>
        <translation>Show it</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="360" />
        <source>请测温</source>
        <translation>Measure</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="364" />
        <source>请戴口罩</source>
        <translation>Put on a mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="364" />
        <source>已戴</source>
        <translation>On</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="364" />
        <source>未戴</source>
        <translation>Off</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="414" />
        <source>中心不可达</source>
        <translation>Centre unreachable</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="419" />
        <source>健康码</source>
        <translation>Health code</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="419" />
        <source>行程卡</source>
        <translation>Itinerary card</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="420" />
        <source>疫苗接种</source>
        <translation>Vaccination</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="420" />
        <source>学生卡</source>
        <translation>Student card</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="421" />
        <source>体温</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="422" />
        <source>登记信息</source>
        <translation>Registration</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="422" />
        <source>核酸检测</source>
        <translation>Nucleic-acid test</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="425" />
        <source>体温 %1 °C 偏高，请稍后复测</source>
        <translation>Temperature %1 °C is high: retake shortly</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="427" />
        <source>复测仍发热：%1 °C，请送观察点</source>
        <translation>Still feverish on retake: %1 °C, send to observation</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="429" />
        <source>未佩戴口罩</source>
        <translation>No mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="433" />
        <source>健康码异常：%1</source>
        <translation>Health code: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="435" />
        <source>%1未核验</source>
        <translation>%1 not checked</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="437" />
        <source>检测到未戴口罩，请提示佩戴</source>
        <translation>No mask detected: ask them to put one on</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="438" />
        <source>请确认口罩</source>
        <translation>Confirm the mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="440" />
        <source>%1需人工核验</source>
        <translation>%1 needs the guard's check</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="442" />
        <source>同一二维码刚被他人使用（疑似代刷）</source>
        <translation>This code was just used by someone else (possible borrowed code)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="444" />
        <source>请走对应通道</source>
        <translation>Use the right lane</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="446" />
        <source>登记信息不完整</source>
        <translation>Registration incomplete</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <location filename="../dialogs.py" line="46" />
        <source>人工改判</source>
        <translation>Override verdict</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="48" />
        <source>放行</source>
        <translation>Allow</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="49" />
        <source>禁止入校</source>
        <translation>Deny entry</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="56" />
        <source>原因（必填，记入日志）：</source>
        <translation>Reason (required, logged):</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="76" />
        <source>请填写改判原因</source>
        <translation>Please give a reason</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <location filename="../dialogs.py" line="86" />
        <source>管理员验证</source>
        <translation>Admin check</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../dialogs.py" line="109" />
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="124" />
        <source>发热阈值</source>
        <translation>Fever threshold</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="125" />
        <source>复测等待</source>
        <translation>Retake wait</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="126" />
        <source>核酸有效期</source>
        <translation>Nucleic-acid window</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="127" />
        <source>结果显示时长</source>
        <translation>Result display time</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="128" />
        <source>单人核验超时</source>
        <translation>Visit timeout</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="129" />
        <source>阈值</source>
        <translation>Thresholds</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="134" />
        <source>教职工</source>
        <translation>Staff</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="134" />
        <source>学生</source>
        <translation>Student</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="134" />
        <source>临时人员</source>
        <translation>Temporary worker</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="135" />
        <source>访客</source>
        <translation>Visitor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="142" />
        <source>必查（不通过则拒绝）</source>
        <translation>Hard (deny on failure)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="142" />
        <source>提示（放行并标记）</source>
        <translation>Soft (allow and flag)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="142" />
        <source>不查</source>
        <translation>Not checked</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="147" />
        <source>通道规则</source>
        <translation>Lane rules</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="160" />
        <source>摄像头（v4l2:0 / rtsp://… / sim:）</source>
        <translation>Camera (v4l2:0 / rtsp://… / sim:)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="161" />
        <source>测温仪串口（/dev/ttyUSB0 / usb:VID:PID / sim:）</source>
        <translation>Thermometer port (/dev/ttyUSB0 / usb:VID:PID / sim:)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="162" />
        <source>测温协议</source>
        <translation>Thermometer protocol</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="163" />
        <source>解码器</source>
        <translation>Decoder</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="164" />
        <source>设备</source>
        <translation>Devices</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="170" />
        <source>数据库（SQLAlchemy URL）</source>
        <translation>Database (SQLAlchemy URL)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="171" />
        <source>数据目录</source>
        <translation>Data folder</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="172" />
        <source>路径</source>
        <translation>Paths</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="174" />
        <source>保存需要管理员 PIN；重启后生效。</source>
        <translation>Saving needs the admin PIN; changes apply after a restart.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="177" />
        <source>管理员 PIN</source>
        <translation>Admin PIN</translation>
    </message>
</context>
<context>
    <name>StatusLight</name>
    <message>
        <location filename="../main_window.py" line="53" />
        <source>已连接</source>
        <translation>Connected</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="53" />
        <source>正常</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="54" />
        <source>连接中断，请检查连接线</source>
        <translation>Disconnected: check the cable</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="54" />
        <source>正在重连…</source>
        <translation>Reconnecting…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="55" />
        <source>无数据，请检查电源与探头</source>
        <translation>No data: check power and sensor</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="55" />
        <source>需要校准，请用黑体或体温计校准</source>
        <translation>Calibration due: calibrate against a blackbody</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="56" />
        <source>已停止</source>
        <translation>Stopped</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="56" />
        <source>未知</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="56" />
        <source>写入失败，请查看提示</source>
        <translation>Write failed: see the message</translation>
    </message>
</context>
<context>
    <name>TemperatureDialog</name>
    <message>
        <location filename="../dialogs.py" line="21" />
        <source>手动录入体温</source>
        <translation>Type temperature</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="30" />
        <source>体温计读数：</source>
        <translation>Thermometer reading:</translation>
    </message>
</context>
<context>
    <name>TodayPanel</name>
    <message>
        <location filename="../panels.py" line="151" />
        <source>师生通道</source>
        <translation>Students and staff</translation>
    </message>
    <message>
        <location filename="../panels.py" line="151" />
        <source>临时人员通道</source>
        <translation>Worker lane</translation>
    </message>
    <message>
        <location filename="../panels.py" line="151" />
        <source>异常</source>
        <translation>Flagged</translation>
    </message>
    <message>
        <location filename="../panels.py" line="152" />
        <source>发热</source>
        <translation>Fever</translation>
    </message>
    <message>
        <location filename="../panels.py" line="152" />
        <source>快递交接</source>
        <translation>Hand-offs</translation>
    </message>
    <message>
        <location filename="../panels.py" line="163" />
        <source>每小时入校人数</source>
        <translation>Entries per hour</translation>
    </message>
    <message>
        <location filename="../panels.py" line="180" />
        <source>人数</source>
        <translation>People</translation>
    </message>
</context>
<context>
    <name>VerdictBanner</name>
    <message>
        <location filename="../widgets.py" line="89" />
        <source>请出示健康码 / 学生卡</source>
        <translation>Show your health code / student card</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="95" />
        <source>通行</source>
        <translation>PASS</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="97" />
        <source>禁止通行</source>
        <translation>DENIED</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="99" />
        <source>快递交接（不入校）</source>
        <translation>HAND-OFF (no entry)</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="101" />
        <source>请复测</source>
        <translation>RETAKE</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="103" />
        <source>待核验</source>
        <translation>CHECKING</translation>
    </message>
</context>
<context>
    <name>WorkerPanel</name>
    <message>
        <location filename="../panels.py" line="30" />
        <source>临时人员：三码联查与登记</source>
        <translation>Temporary workers: three-code check and registration</translation>
    </message>
    <message>
        <location filename="../panels.py" line="34" />
        <source>健康码</source>
        <translation>Health code</translation>
    </message>
    <message>
        <location filename="../panels.py" line="34" />
        <source>行程卡</source>
        <translation>Itinerary card</translation>
    </message>
    <message>
        <location filename="../panels.py" line="35" />
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../panels.py" line="35" />
        <source>登记</source>
        <translation>Registered</translation>
    </message>
    <message>
        <location filename="../panels.py" line="43" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../panels.py" line="43" />
        <source>电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../panels.py" line="43" />
        <source>单位</source>
        <translation>Company</translation>
    </message>
    <message>
        <location filename="../panels.py" line="44" />
        <source>事由</source>
        <translation>Purpose</translation>
    </message>
    <message>
        <location filename="../panels.py" line="44" />
        <source>车牌（选填）</source>
        <translation>Plate (optional)</translation>
    </message>
    <message>
        <location filename="../panels.py" line="55" />
        <source>登记 (F7)</source>
        <translation>Register (F7)</translation>
    </message>
    <message>
        <location filename="../panels.py" line="56" />
        <source>快递交接，不入校 (F8)</source>
        <translation>Hand-off, no entry (F8)</translation>
    </message>
</context>
</TS>