<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>CameraView</name>
    <message>
        <location filename="../widgets.py" line="57" />
        <source>等待摄像头画面…</source>
        <translation>Waiting for the camera…</translation>
    </message>
</context>
<context>
    <name>ElementTile</name>
    <message>
        <location filename="../widgets.py" line="166" />
        <source>门卫确认</source>
        <translation>Guard confirmed</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="166" />
        <source>签名验证</source>
        <translation>Signature verified</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="166" />
        <source>设备自动</source>
        <translation>Automatic</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="167" />
        <source>验码服务</source>
        <translation>Issuer server</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="167" />
        <source>颜色识别（未验证）</source>
        <translation>Colour read (unverified)</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="168" />
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
        <location filename="../panels.py" line="115" />
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <location filename="../panels.py" line="115" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../panels.py" line="115" />
        <source>身份</source>
        <translation>Person</translation>
    </message>
    <message>
        <location filename="../panels.py" line="115" />
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../panels.py" line="116" />
        <source>体温</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../panels.py" line="116" />
        <source>跟进</source>
        <translation>Follow-up</translation>
    </message>
    <message>
        <location filename="../panels.py" line="125" />
        <source>送观察点</source>
        <translation>Observation</translation>
    </message>
    <message>
        <location filename="../panels.py" line="126" />
        <source>已复核，解除</source>
        <translation>Re-checked, clear</translation>
    </message>
    <message>
        <location filename="../panels.py" line="136" />
        <source>待复测</source>
        <translation>Retake due</translation>
    </message>
    <message>
        <location filename="../panels.py" line="136" />
        <source>已送观察点</source>
        <translation>Sent to observation</translation>
    </message>
    <message>
        <location filename="../panels.py" line="136" />
        <source>已解除</source>
        <translation>Cleared</translation>
    </message>
    <message>
        <location filename="../panels.py" line="137" />
        <source>待处理</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../panels.py" line="141" />
        <source>；</source>
        <translation>; </translation>
    </message>
    <message>
        <location filename="../panels.py" line="150" />
        <source>学生</source>
        <translation>Student</translation>
    </message>
    <message>
        <location filename="../panels.py" line="150" />
        <source>教职工</source>
        <translation>Staff</translation>
    </message>
    <message>
        <location filename="../panels.py" line="150" />
        <source>快递员</source>
        <translation>Courier</translation>
    </message>
    <message>
        <location filename="../panels.py" line="151" />
        <source>送货</source>
        <translation>Delivery</translation>
    </message>
    <message>
        <location filename="../panels.py" line="151" />
        <source>垃圾清运</source>
        <translation>Garbage</translation>
    </message>
    <message>
        <location filename="../panels.py" line="151" />
        <source>临时人员</source>
        <translation>Temporary worker</translation>
    </message>
    <message>
        <location filename="../panels.py" line="152" />
        <source>访客</source>
        <translation>Visitor</translation>
    </message>
</context>
<context>
    <name>KindBar</name>
    <message>
        <location filename="../panels.py" line="241" />
        <source>返校/外地返回</source>
        <translation>Returnee</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="93" />
        <source>校园门岗入校核验</source>
        <translation>School gate check</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="130" />
        <source>入校三要素核验：验码 · 测温 · 戴口罩</source>
        <translation>Gate check: code · temperature · mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="135" />
        <source>师生通道 (F9)</source>
        <translation>Students and staff (F9)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="135" />
        <source>临时人员专用通道 (F10)</source>
        <translation>Worker lane (F10)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="148" />
        <location filename="../main_window.py" line="385" />
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="161" />
        <source>验码</source>
        <translation>Code</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="161" />
        <source>测温</source>
        <translation>Temperature</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="162" />
        <source>口罩</source>
        <translation>Mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="308" />
        <source>确认已戴口罩</source>
        <translation>Mask on</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="308" />
        <source>手动录入体温</source>
        <translation>Type temp.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="313" />
        <location filename="../main_window.py" line="349" />
        <source>人工改判</source>
        <translation>Override</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="314" />
        <source>送观察点</source>
        <translation>Observation</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="315" />
        <source>下一位</source>
        <translation>Next person</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="227" />
        <source>今日异常</source>
        <translation>Flagged today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="228" />
        <source>今日概况</source>
        <translation>Today</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="236" />
        <source>摄像头</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="236" />
        <source>测温仪</source>
        <translation>Thermometer</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="237" />
        <source>数据库</source>
        <translation>Database</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="237" />
        <source>解码</source>
        <translation>Decoder</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="238" />
        <source>校准</source>
        <translation>Calibration</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="463" />
        <source>卡号不在名册中</source>
        <translation>Card not in the roster</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="528" />
        <source>写入失败，%1 条待写入</source>
        <translation>Write failed: %1 entries waiting</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="546" />
        <source>不能登记：%1</source>
        <translation>Cannot register: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="557" />
        <source>不能交接：%1</source>
        <translation>Cannot hand off: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="574" />
        <source>有效</source>
        <translation>Valid</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="358" />
        <source>门卫送观察点</source>
        <translation>Guard sent to observation</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="144" />
        <location filename="../main_window.py" line="397" />
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="218" />
        <source>其他快捷键：F7 登记 · F8 交接 · Shift+F4 行程卡异常 · Shift+F12 未接种 · F9/F10 切换通道 · F11 全屏</source>
        <translation>More keys: F7 register · F8 hand-off · Shift+F4 itinerary risk · Shift+F12 not vaccinated · F9/F10 lanes · F11 full screen</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="302" />
        <source>不能确认：%1</source>
        <translation>Cannot confirm: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="309" />
        <source>健康码：绿码</source>
        <translation>Code: green</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="309" />
        <source>健康码：黄码</source>
        <translation>Code: yellow</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="310" />
        <source>健康码：红码</source>
        <translation>Code: red</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="310" />
        <source>行程卡：无风险</source>
        <translation>Itinerary OK</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="311" />
        <source>行程卡：到过风险地区</source>
        <translation>Itinerary: risk area</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="311" />
        <source>疫苗：已接种</source>
        <translation>Vaccinated</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="312" />
        <source>疫苗：未接种</source>
        <translation>Not vaccinated</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="312" />
        <source>核酸：时限内阴性</source>
        <translation>Test negative</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="313" />
        <source>身份已核对</source>
        <translation>ID checked</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="314" />
        <source>登记</source>
        <translation>Registered</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="315" />
        <source>快递交接，不入校</source>
        <translation>Hand-off, no entry</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="316" />
        <source>学生</source>
        <translation>Student</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="316" />
        <source>教职工</source>
        <translation>Staff</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="317" />
        <source>访客</source>
        <translation>Visitor</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="317" />
        <source>快递员</source>
        <translation>Courier</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="318" />
        <source>送货</source>
        <translation>Delivery</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="318" />
        <source>垃圾清运</source>
        <translation>Garbage</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="319" />
        <source>其他临时人员</source>
        <translation>Other</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="319" />
        <source>返校/外地返回</source>
        <translation>Returnee</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="320" />
        <source>师生通道</source>
        <translation>Students and staff</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="320" />
        <source>临时人员专用通道</source>
        <translation>Temporary workers' lane</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="343" />
        <source>改判需要管理员 PIN</source>
        <translation>Overriding needs the admin PIN</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="385" />
        <source>已保存到 %1，重启后生效。</source>
        <translation>Saved to %1; restart to apply.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="393" />
        <source>导出需要管理员 PIN</source>
        <translation>Exporting needs the admin PIN</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="444" />
        <source>（返校人员）</source>
        <translation>(returnee)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="445" />
        <source>身份：%1</source>
        <translation>Person: %1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="453" />
        <source>绿码</source>
        <translation>Green</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="453" />
        <source>黄码</source>
        <translation>Yellow</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="453" />
        <source>红码</source>
        <translation>Red</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="454" />
        <source>无法识别</source>
        <translation>Unreadable</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="454" />
        <source>无效</source>
        <translation>Invalid</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="456" />
        <source>未知二维码</source>
        <translation>Unknown QR code</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="458" />
        <source>请出示健康码</source>
        <translation>Show your health code</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="462" />
        <source>名册已核对</source>
        <translation>On the roster</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="466" />
        <source>请测温</source>
        <translation>Measure</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="470" />
        <source>请戴口罩</source>
        <translation>Put on a mask</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="470" />
        <source>已戴</source>
        <translation>On</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="470" />
        <source>未戴</source>
        <translation>Off</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="506" />
        <source>记录尚未保存</source>
        <translation>Entries not saved</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="507" />
        <source>%1 条入校记录还在等待写入数据库（%2）。现在关闭，这些记录将丢失。</source>
        <translation>%1 entries are still waiting to be written to the database (%2). If you close now, they are lost.</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="511" />
        <source>重试写入</source>
        <translation>Try writing again</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="512" />
        <source>仍然关闭（%1 条记录丢失）</source>
        <translation>Close anyway (%1 entries lost)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="514" />
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <location filename="../dialogs.py" line="46" />
        <source>人工改判</source>
        <translation>Override</translation>
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
    <name>RetakeList</name>
    <message>
        <location filename="../panels.py" line="261" />
        <source>复测等候</source>
        <translation>Waiting for a retake</translation>
    </message>
    <message>
        <location filename="../panels.py" line="265" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../panels.py" line="265" />
        <source>首次体温</source>
        <translation>First reading</translation>
    </message>
    <message>
        <location filename="../panels.py" line="265" />
        <source>复测倒计时</source>
        <translation>Retake in</translation>
    </message>
    <message>
        <location filename="../panels.py" line="273" />
        <source>叫回复测</source>
        <translation>Call back for retake</translation>
    </message>
    <message>
        <location filename="../panels.py" line="289" />
        <location filename="../panels.py" line="294" />
        <source>可以复测</source>
        <translation>Retake now</translation>
    </message>
    <message>
        <location filename="../panels.py" line="290" />
        <source>（未识别）</source>
        <translation>(unidentified)</translation>
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
        <location filename="../main_window.py" line="60" />
        <source>已连接</source>
        <translation>Connected</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="60" />
        <source>正常</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="61" />
        <source>连接中断，请检查连接线</source>
        <translation>Disconnected: check the cable</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="61" />
        <source>正在重连…</source>
        <translation>Reconnecting…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="62" />
        <source>无数据，请检查电源与探头</source>
        <translation>No data: check power and sensor</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="62" />
        <source>需要校准，请用黑体或体温计校准</source>
        <translation>Calibration due: calibrate against a blackbody</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="63" />
        <source>已停止</source>
        <translation>Stopped</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="63" />
        <source>未知</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="63" />
        <source>写入失败，请查看提示</source>
        <translation>Write failed: see the message</translation>
    </message>
</context>
<context>
    <name>TemperatureDialog</name>
    <message>
        <location filename="../dialogs.py" line="21" />
        <source>手动录入体温</source>
        <translation>Type temp.</translation>
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
        <location filename="../panels.py" line="168" />
        <source>师生通道</source>
        <translation>Students and staff</translation>
    </message>
    <message>
        <location filename="../panels.py" line="168" />
        <source>临时人员通道</source>
        <translation>Worker lane</translation>
    </message>
    <message>
        <location filename="../panels.py" line="168" />
        <source>异常</source>
        <translation>Flagged</translation>
    </message>
    <message>
        <location filename="../panels.py" line="169" />
        <source>发热</source>
        <translation>Fever</translation>
    </message>
    <message>
        <location filename="../panels.py" line="169" />
        <source>快递交接</source>
        <translation>HAND-OFF</translation>
    </message>
    <message>
        <location filename="../panels.py" line="180" />
        <source>每小时入校人数</source>
        <translation>Entries per hour</translation>
    </message>
    <message>
        <location filename="../panels.py" line="197" />
        <source>人数</source>
        <translation>People</translation>
    </message>
</context>
<context>
    <name>VerdictBanner</name>
    <message>
        <location filename="../widgets.py" line="91" />
        <source>请出示健康码 / 学生卡</source>
        <translation>Show your health code / student card</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="100" />
        <source>通行</source>
        <translation>PASS</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="102" />
        <source>禁止通行</source>
        <translation>DENIED</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="104" />
        <source>快递交接</source>
        <translation>HAND-OFF</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="106" />
        <source>请复测</source>
        <translation>RETAKE</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="108" />
        <source>待核验</source>
        <translation>CHECKING</translation>
    </message>
</context>
<context>
    <name>WorkerPanel</name>
    <message>
        <location filename="../panels.py" line="32" />
        <source>临时人员：三码联查与登记</source>
        <translation>Temporary workers: three-code check and registration</translation>
    </message>
    <message>
        <location filename="../panels.py" line="36" />
        <source>健康码</source>
        <translation>Health code</translation>
    </message>
    <message>
        <location filename="../panels.py" line="36" />
        <source>行程卡</source>
        <translation>Itinerary card</translation>
    </message>
    <message>
        <location filename="../panels.py" line="37" />
        <source>疫苗</source>
        <translation>Vaccine</translation>
    </message>
    <message>
        <location filename="../panels.py" line="37" />
        <source>登记</source>
        <translation>Registered</translation>
    </message>
    <message>
        <location filename="../panels.py" line="45" />
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../panels.py" line="45" />
        <source>电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <location filename="../panels.py" line="45" />
        <source>身份证号</source>
        <translation>ID number</translation>
    </message>
    <message>
        <location filename="../panels.py" line="46" />
        <source>单位</source>
        <translation>Company</translation>
    </message>
    <message>
        <location filename="../panels.py" line="47" />
        <source>事由</source>
        <translation>Purpose</translation>
    </message>
    <message>
        <location filename="../panels.py" line="47" />
        <source>车牌（选填）</source>
        <translation>Plate (optional)</translation>
    </message>
    <message>
        <location filename="../panels.py" line="61" />
        <source>登记 (F7)</source>
        <translation>Register (F7)</translation>
    </message>
    <message>
        <location filename="../panels.py" line="62" />
        <source>快递交接，不入校 (F8)</source>
        <translation>Hand-off, no entry (F8)</translation>
    </message>
</context>
</TS>