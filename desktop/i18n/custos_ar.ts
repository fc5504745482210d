<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ar">
    <context>
        <name>Admin</name>
        <message>
            <location filename="../pages/admin.py" line="32" />
            <source>User</source>
            <translation>المستخدم</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="33" />
            <location filename="../pages/admin.py" line="52" />
            <source>Roles</source>
            <translation>الأدوار</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="35" />
            <source>State</source>
            <translation>الحالة</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="37" />
            <source>disabled</source>
            <translation>معطّل</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="39" />
            <source>Created</source>
            <translation>تاريخ الإنشاء</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="42" />
            <source>Administrator</source>
            <translation>مسؤول النظام</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="43" />
            <source>Officer</source>
            <translation>ضابط</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="44" />
            <source>Analyst</source>
            <translation>محلل</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="45" />
            <source>Liaison</source>
            <translation>ضابط اتصال</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="149" />
            <source>Verifying the vault</source>
            <translation>جارٍ التحقق من الخزنة</translation>
        </message>
    </context>
    <context>
        <name>AdminPage</name>
        <message>
            <location filename="../pages/admin.py" line="177" />
            <source>Add user...</source>
            <translation>إضافة مستخدم...</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="179" />
            <source>Change roles...</source>
            <translation>تغيير الأدوار...</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="181" />
            <source>Disable</source>
            <translation>تعطيل</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="183" />
            <source>Verify vault...</source>
            <translation>التحقق من الخزنة...</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="188" />
            <source> min</source>
            <translation> دقيقة</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="197" />
            <source>Lock the session after idle time</source>
            <translation>قفل الجلسة بعد مدة خمول</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="239" />
            <source>Disable user</source>
            <translation>تعطيل المستخدم</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="240" />
            <source>Disable {0}? They can no longer sign in.</source>
            <translation>تعطيل {0}؟ لن يتمكن من تسجيل الدخول بعد الآن.</translation>
        </message>
    </context>
    <context>
        <name>Areas</name>
        <message>
            <location filename="../pages/__init__.py" line="42" />
            <source>Cases</source>
            <translation>القضايا</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="49" />
            <source>Evidence</source>
            <translation>الأدلة</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="56" />
            <source>Faces</source>
            <translation>الوجوه</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="63" />
            <source>Watchlists</source>
            <translation>قوائم المراقبة</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="70" />
            <source>Review</source>
            <translation>المراجعة</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="77" />
            <source>Partners</source>
            <translation>الشركاء</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="84" />
            <source>Bundles</source>
            <translation>الحزم</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="91" />
            <source>Audit</source>
            <translation>سجل التدقيق</translation>
        </message>
        <message>
            <location filename="../pages/__init__.py" line="98" />
            <source>Admin</source>
            <translation>الإدارة</translation>
        </message>
    </context>
    <context>
        <name>Audit</name>
        <message>
            <location filename="../pages/audit.py" line="15" />
            <source>Seq</source>
            <translation>التسلسل</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="16" />
            <source>When</source>
            <translation>الوقت</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="17" />
            <source>User</source>
            <translation>المستخدم</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="18" />
            <source>Action</source>
            <translation>الإجراء</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="19" />
            <source>Target</source>
            <translation>الهدف</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="21" />
            <source>Details</source>
            <translation>التفاصيل</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="25" />
            <source>Hash</source>
            <translation>البصمة</translation>
        </message>
    </context>
    <context>
        <name>AuditPage</name>
        <message>
            <location filename="../pages/audit.py" line="41" />
            <source>Filter by user, action, target or details</source>
            <translation>تصفية حسب المستخدم أو الإجراء أو الهدف أو التفاصيل</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="46" />
            <source>Verify now...</source>
            <translation>تحقق الآن...</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="68" />
            <source>Chain status: not verified yet (run a verify).</source>
            <translation>حالة السلسلة: لم يُتحقق منها بعد (شغّل التحقق).</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="71" />
            <source>Chain status: verify at {0} found {1} problem(s).</source>
            <translation>حالة السلسلة: التحقق في {0} وجد {1} مشكلة.</translation>
        </message>
        <message>
            <location filename="../pages/audit.py" line="77" />
            <source>Chain status: intact (verified at {0}, {1} entries).</source>
            <translation>حالة السلسلة: سليمة (تحقق في {0}، {1} قيد).</translation>
        </message>
    </context>
    <context>
        <name>CaseDialog</name>
        <message>
            <location filename="../pages/cases.py" line="61" />
            <source>New case</source>
            <translation>قضية جديدة</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="66" />
            <source>Agencies, separated by commas</source>
            <translation>الجهات، مفصولة بفواصل</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="68" />
            <source>Reference</source>
            <translation>المرجع</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="69" />
            <source>Title</source>
            <translation>العنوان</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="70" />
            <source>Crime areas</source>
            <translation>مجالات الجريمة</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="78" />
            <source>Joint operation</source>
            <translation>عملية مشتركة</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="79" />
            <source>Partner agencies</source>
            <translation>الجهات الشريكة</translation>
        </message>
    </context>
    <context>
        <name>Cases</name>
        <message>
            <location filename="../pages/cases.py" line="28" />
            <source>Reference</source>
            <translation>المرجع</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="29" />
            <source>Title</source>
            <translation>العنوان</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="30" />
            <source>Items</source>
            <translation>العناصر</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="31" />
            <source>Crime areas</source>
            <translation>مجالات الجريمة</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="32" />
            <source>Joint operation</source>
            <translation>عملية مشتركة</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="33" />
            <source>Partners</source>
            <translation>الشركاء</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="34" />
            <source>Created by</source>
            <translation>أنشأها</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="35" />
            <source>Created</source>
            <translation>تاريخ الإنشاء</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="39" />
            <source>Drug trafficking</source>
            <translation>الاتجار بالمخدرات</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="40" />
            <source>Human trafficking</source>
            <translation>الاتجار بالبشر</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="41" />
            <source>Arms smuggling</source>
            <translation>تهريب الأسلحة</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="42" />
            <source>Money laundering</source>
            <translation>غسل الأموال</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="43" />
            <source>Cybercrime</source>
            <translation>الجرائم الإلكترونية</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="44" />
            <source>Terrorism</source>
            <translation>الإرهاب</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="45" />
            <source>Corruption</source>
            <translation>الفساد</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="46" />
            <source>Fraud</source>
            <translation>الاحتيال</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="47" />
            <source>Other</source>
            <translation>أخرى</translation>
        </message>
    </context>
    <context>
        <name>CasesPage</name>
        <message>
            <location filename="../pages/cases.py" line="127" />
            <source>Filter cases</source>
            <translation>تصفية القضايا</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="130" />
            <source>New case...</source>
            <translation>قضية جديدة...</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="133" />
            <source>Show evidence</source>
            <translation>عرض الأدلة</translation>
        </message>
        <message>
            <location filename="../pages/cases.py" line="158" />
            <source>Case {0} created</source>
            <translation>أُنشئت القضية {0}</translation>
        </message>
    </context>
    <context>
        <name>CustodyFormDialog</name>
        <message>
            <location filename="../pages/evidence.py" line="55" />
            <source>Custody record for this batch</source>
            <translation>سجل الحيازة لهذه الدفعة</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="56" />
            <source>{0} file(s) or folder(s) to ingest</source>
            <translation>{0} ملف أو مجلد للإدخال</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="66" />
            <source>Exhibit number</source>
            <translation>رقم المضبوطات</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="67" />
            <source>Seized from</source>
            <translation>ضُبط من</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="68" />
            <source>Seized at (place)</source>
            <translation>مكان الضبط</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="69" />
            <source>Seized on</source>
            <translation>تاريخ الضبط</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="70" />
            <source>Seized by</source>
            <translation>ضبطه</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="71" />
            <source>Description</source>
            <translation>الوصف</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="73" />
            <source>Ingest</source>
            <translation>إدخال</translation>
        </message>
    </context>
    <context>
        <name>Evidence</name>
        <message>
            <location filename="../pages/evidence.py" line="36" />
            <source>ID</source>
            <translation>المعرّف</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="37" />
            <source>Name</source>
            <translation>الاسم</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="38" />
            <source>Size</source>
            <translation>الحجم</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="39" />
            <source>Exhibit</source>
            <translation>المضبوطات</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="40" />
            <source>Seized by</source>
            <translation>ضبطه</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="41" />
            <source>Acquired</source>
            <translation>تاريخ الإدخال</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="42" />
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="43" />
            <source>MD5</source>
            <translation>MD5</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="44" />
            <source>SHA-1</source>
            <translation>SHA-1</translation>
        </message>
    </context>
    <context>
        <name>EvidencePage</name>
        <message>
            <location filename="../pages/evidence.py" line="122" />
            <source>Filter by name, exhibit or hash</source>
            <translation>تصفية حسب الاسم أو المضبوطات أو البصمة</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="127" />
            <source>Add files...</source>
            <translation>إضافة ملفات...</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="129" />
            <source>Add folder...</source>
            <translation>إضافة مجلد...</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="133" />
            <source>View</source>
            <translation>عرض</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="136" />
            <source>Case</source>
            <translation>القضية</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="142" />
            <source>Drop files or folders here to ingest them into the case.</source>
            <translation>أفلت الملفات أو المجلدات هنا لإدخالها في القضية.</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="212" />
            <source>Loading...</source>
            <translation>جارٍ التحميل...</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="238" />
            <source>{0} items</source>
            <translation>{0} عنصر</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="260" />
            <source>Choose files to ingest</source>
            <translation>اختر ملفات للإدخال</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="265" />
            <source>Choose a folder to ingest</source>
            <translation>اختر مجلدًا للإدخال</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="282" />
            <source>Choose or create a case first.</source>
            <translation>اختر قضية أو أنشئها أولًا.</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="297" />
            <source>Ingesting into {0}</source>
            <translation>جارٍ الإدخال في {0}</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="305" />
            <source>{0} saved, {1} failed.</source>
            <translation>حُفظ {0}، وفشل {1}.</translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="307" />
            <source>Cancelled: </source>
            <translation>أُلغي: </translation>
        </message>
        <message>
            <location filename="../pages/evidence.py" line="307" />
            <source>Finished items are kept.</source>
            <translation>العناصر المكتملة محفوظة.</translation>
        </message>
    </context>
    <context>
        <name>Exchange</name>
        <message>
            <location filename="../pages/exchange.py" line="18" />
            <source>Agency</source>
            <translation>الجهة</translation>
        </message>
        <message>
            <location filename="../pages/exchange.py" line="19" />
            <source>Country</source>
            <translation>الدولة</translation>
        </message>
        <message>
            <location filename="../pages/exchange.py" line="20" />
            <source>Contact</source>
            <translation>جهة الاتصال</translation>
        </message>
        <message>
            <location filename="../pages/exchange.py" line="22" />
            <source>Key fingerprints</source>
            <translation>بصمات المفاتيح</translation>
        </message>
    </context>
    <context>
        <name>Item</name>
        <message>
            <location filename="../pages/item_view.py" line="35" />
            <location filename="../pages/item_view.py" line="45" />
            <source>When</source>
            <translation>الوقت</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="36" />
            <source>Event</source>
            <translation>الحدث</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="37" />
            <location filename="../pages/item_view.py" line="47" />
            <source>By</source>
            <translation>بواسطة</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="39" />
            <source>Details</source>
            <translation>التفاصيل</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="44" />
            <source>Seq</source>
            <translation>التسلسل</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="46" />
            <source>Action</source>
            <translation>الإجراء</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="48" />
            <source>Target</source>
            <translation>الهدف</translation>
        </message>
    </context>
    <context>
        <name>ItemDialog</name>
        <message>
            <location filename="../pages/item_view.py" line="91" />
            <source>Item {0}: {1}</source>
            <translation>العنصر {0}: {1}</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="94" />
            <source>Loading preview...</source>
            <translation>جارٍ تحميل المعاينة...</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="108" />
            <source>Preview</source>
            <translation>معاينة</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="109" />
            <source>Record</source>
            <translation>السجل</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="111" />
            <source>Custody</source>
            <translation>الحيازة</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="115" />
            <source>Audit</source>
            <translation>سجل التدقيق</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="118" />
            <source>Export copy...</source>
            <translation>تصدير نسخة...</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="121" />
            <source>Close</source>
            <translation>إغلاق</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="139" />
            <source>Case</source>
            <translation>القضية</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="140" />
            <source>Name</source>
            <translation>الاسم</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="141" />
            <source>Size</source>
            <translation>الحجم</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="142" />
            <source>SHA-256</source>
            <translation>SHA-256</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="143" />
            <source>SHA-1</source>
            <translation>SHA-1</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="144" />
            <source>MD5</source>
            <translation>MD5</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="145" />
            <source>Exhibit number</source>
            <translation>رقم المضبوطات</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="146" />
            <source>Seized from</source>
            <translation>ضُبط من</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="147" />
            <source>Seized at (place)</source>
            <translation>مكان الضبط</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="148" />
            <source>Seized on</source>
            <translation>تاريخ الضبط</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="149" />
            <source>Seized by</source>
            <translation>ضبطه</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="150" />
            <source>Description</source>
            <translation>الوصف</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="151" />
            <source>Original path</source>
            <translation>المسار الأصلي</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="152" />
            <source>Acquired by</source>
            <translation>أدخله</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="153" />
            <source>Acquired</source>
            <translation>تاريخ الإدخال</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="184" />
            <source>Too large to preview here; export a copy to open it.</source>
            <translation>أكبر من أن يُعاين هنا؛ صدّر نسخة لفتحه.</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="205" />
            <source>Text</source>
            <translation>نص</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="205" />
            <source>Binary (hex)</source>
            <translation>ثنائي (سداسي عشري)</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="217" />
            <source>Export a copy to</source>
            <translation>تصدير نسخة إلى</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="225" />
            <source>Exporting...</source>
            <translation>جارٍ التصدير...</translation>
        </message>
        <message>
            <location filename="../pages/item_view.py" line="233" />
            <source>Copy written to {0} (hash checked)</source>
            <translation>كُتبت النسخة في {0} (تم التحقق من البصمة)</translation>
        </message>
    </context>
    <context>
        <name>JobDialog</name>
        <message>
            <location filename="../jobs.py" line="164" />
            <source>Starting...</source>
            <translation>جارٍ البدء...</translation>
        </message>
        <message>
            <location filename="../jobs.py" line="206" />
            <source>Close</source>
            <translation>إغلاق</translation>
        </message>
        <message>
            <location filename="../jobs.py" line="214" />
            <source>Done.</source>
            <translation>تم.</translation>
        </message>
        <message>
            <location filename="../jobs.py" line="225" />
            <source>Cancelling: the file in flight is dropped...</source>
            <translation>جارٍ الإلغاء: يُتخلى عن الملف الجاري...</translation>
        </message>
    </context>
    <context>
        <name>LoginDialog</name>
        <message>
            <location filename="../login.py" line="78" />
            <source>Custos — sign in</source>
            <translation>Custos — تسجيل الدخول</translation>
        </message>
        <message>
            <location filename="../login.py" line="85" />
            <source>Vault: {0}</source>
            <translation>الخزنة: {0}</translation>
        </message>
        <message>
            <location filename="../login.py" line="88" />
            <source>User</source>
            <translation>المستخدم</translation>
        </message>
        <message>
            <location filename="../login.py" line="89" />
            <source>Password</source>
            <translation>كلمة المرور</translation>
        </message>
        <message>
            <location filename="../login.py" line="92" />
            <source>Sign in</source>
            <translation>دخول</translation>
        </message>
        <message>
            <location filename="../login.py" line="94" />
            <source>Quit</source>
            <translation>خروج</translation>
        </message>
        <message>
            <location filename="../login.py" line="108" />
            <source>Enter your user name and password.</source>
            <translation>أدخل اسم المستخدم وكلمة المرور.</translation>
        </message>
        <message>
            <location filename="../login.py" line="111" />
            <source>Opening the vault...</source>
            <translation>جارٍ فتح الخزنة...</translation>
        </message>
        <message>
            <location filename="../login.py" line="124" />
            <source>Unknown user or wrong password</source>
            <translation>مستخدم غير معروف أو كلمة مرور خاطئة</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <location filename="../mainwindow.py" line="33" />
            <source>Custos</source>
            <translation>Custos</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="48" />
            <source>Your roles give you no area in this vault.</source>
            <translation>لا تمنحك أدوارك أي قسم في هذه الخزنة.</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="67" />
            <source>User: {0} ({1})</source>
            <translation>المستخدم: {0} ({1})</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="68" />
            <source>Vault: {0}</source>
            <translation>الخزنة: {0}</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="83" />
            <source>never</source>
            <translation>أبدًا</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="84" />
            <source>Verified at: {0}</source>
            <translation>آخر تحقق: {0}</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="89" />
            <source>&amp;File</source>
            <translation>&amp;ملف</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="90" />
            <source>&amp;Lock</source>
            <translation>&amp;قفل</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="93" />
            <source>&amp;Quit</source>
            <translation>&amp;خروج</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="101" />
            <source>&amp;View</source>
            <translation>&amp;عرض</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="102" />
            <source>&amp;Refresh</source>
            <translation>&amp;تحديث</translation>
        </message>
        <message>
            <location filename="../mainwindow.py" line="106" />
            <source>&amp;Language</source>
            <translation>&amp;اللغة</translation>
        </message>
    </context>
    <context>
        <name>Matching</name>
        <message>
            <location filename="../pages/matching.py" line="19" />
            <source>Face</source>
            <translation>الوجه</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="20" />
            <source>Item</source>
            <translation>العنصر</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="21" />
            <source>Kind</source>
            <translation>النوع</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="23" />
            <source>Quality</source>
            <translation>الجودة</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="26" />
            <source>Captured</source>
            <translation>وقت الالتقاط</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="29" />
            <location filename="../pages/matching.py" line="39" />
            <source>Watchlist</source>
            <translation>قائمة المراقبة</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="30" />
            <source>Subjects</source>
            <translation>الأشخاص</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="31" />
            <source>Alert threshold</source>
            <translation>عتبة التنبيه</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="33" />
            <source>Second review</source>
            <translation>مراجعة ثانية</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="35" />
            <source>Source agency</source>
            <translation>الجهة المصدر</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="38" />
            <source>Candidate</source>
            <translation>المرشح</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="40" />
            <source>Subject</source>
            <translation>الشخص</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="41" />
            <source>Distance</source>
            <translation>المسافة</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="42" />
            <source>Threshold</source>
            <translation>العتبة</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="43" />
            <source>Mode</source>
            <translation>الوضع</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="44" />
            <source>Status</source>
            <translation>الحالة</translation>
        </message>
    </context>
    <context>
        <name>Page</name>
        <message>
            <location filename="../pages/__init__.py" line="127" />
            <source>Custos</source>
            <translation>Custos</translation>
        </message>
    </context>
    <context>
        <name>PartnersPage</name>
        <message>
            <location filename="../pages/exchange.py" line="44" />
            <source>The partner directory is not available in this version.</source>
            <translation>دليل الشركاء غير متاح في هذا الإصدار.</translation>
        </message>
    </context>
    <context>
        <name>Placeholder</name>
        <message>
            <location filename="../pages/__init__.py" line="147" />
            <source>This area is not available in this version yet.</source>
            <translation>هذا القسم غير متاح في هذا الإصدار بعد.</translation>
        </message>
    </context>
    <context>
        <name>RecoveryDialog</name>
        <message>
            <location filename="../login.py" line="211" />
            <source>Custos — recovery key</source>
            <translation>Custos — مفتاح الاسترداد</translation>
        </message>
        <message>
            <location filename="../login.py" line="214" />
            <source>This is the vault's recovery key. It is shown only this once and is not stored on this computer. Hand it to your agency's key escrow now (print it or save it to removable media kept under seal). Without it, a vault whose administrators have all lost their passwords cannot be opened again.</source>
            <translation>هذا مفتاح استرداد الخزنة. يُعرض هذه المرة فقط ولا يُحفظ على هذا الحاسوب. سلّمه الآن إلى جهة حفظ المفاتيح في جهازك (اطبعه أو احفظه على وسيط قابل للإزالة يُحفظ مختومًا). بدونه لا يمكن فتح خزنة فقد جميع مسؤوليها كلمات مرورهم.</translation>
        </message>
        <message>
            <location filename="../login.py" line="226" />
            <source>Save to file...</source>
            <translation>حفظ في ملف...</translation>
        </message>
        <message>
            <location filename="../login.py" line="229" />
            <source>I have stored the recovery key</source>
            <translation>لقد حفظت مفتاح الاسترداد</translation>
        </message>
        <message>
            <location filename="../login.py" line="232" />
            <source>Continue</source>
            <translation>متابعة</translation>
        </message>
        <message>
            <location filename="../login.py" line="248" />
            <source>Save the recovery key</source>
            <translation>حفظ مفتاح الاسترداد</translation>
        </message>
        <message>
            <location filename="../login.py" line="259" />
            <source>Cannot save: {0}</source>
            <translation>تعذّر الحفظ: {0}</translation>
        </message>
        <message>
            <location filename="../login.py" line="261" />
            <source>Saved to {0}</source>
            <translation>حُفظ في {0}</translation>
        </message>
    </context>
    <context>
        <name>ReportDialog</name>
        <message>
            <location filename="../pages/admin.py" line="119" />
            <source>Verify report</source>
            <translation>تقرير التحقق</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="122" />
            <source>Verify was cancelled; nothing is concluded.</source>
            <translation>أُلغي التحقق؛ لا يمكن استنتاج شيء.</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="124" />
            <source>The vault is intact.</source>
            <translation>الخزنة سليمة.</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="126" />
            <source>{0} problem(s) found.</source>
            <translation>وُجدت {0} مشكلة.</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="128" />
            <source>{0} items in {1} stored files, {2} audit entries checked at {3}.</source>
            <translation>فُحص {0} عنصر في {1} ملف مخزّن و{2} قيد تدقيق في {3}.</translation>
        </message>
    </context>
    <context>
        <name>SetupDialog</name>
        <message>
            <location filename="../login.py" line="148" />
            <source>Custos — create a vault</source>
            <translation>Custos — إنشاء خزنة</translation>
        </message>
        <message>
            <location filename="../login.py" line="151" />
            <source>No vault was found at {0}. Create it now: you become its first administrator.</source>
            <translation>لم يُعثر على خزنة في {0}. أنشئها الآن: ستصبح مسؤولها الأول.</translation>
        </message>
        <message>
            <location filename="../login.py" line="162" />
            <source>Administrator name</source>
            <translation>اسم المسؤول</translation>
        </message>
        <message>
            <location filename="../login.py" line="163" />
            <source>Password</source>
            <translation>كلمة المرور</translation>
        </message>
        <message>
            <location filename="../login.py" line="164" />
            <source>Password again</source>
            <translation>كلمة المرور مرة أخرى</translation>
        </message>
        <message>
            <location filename="../login.py" line="168" />
            <source>Create vault</source>
            <translation>إنشاء الخزنة</translation>
        </message>
        <message>
            <location filename="../login.py" line="170" />
            <source>Quit</source>
            <translation>خروج</translation>
        </message>
        <message>
            <location filename="../login.py" line="183" />
            <source>Enter the administrator's name.</source>
            <translation>أدخل اسم المسؤول.</translation>
        </message>
        <message>
            <location filename="../login.py" line="186" />
            <source>The two passwords differ.</source>
            <translation>كلمتا المرور مختلفتان.</translation>
        </message>
        <message>
            <location filename="../login.py" line="189" />
            <source>Creating the vault...</source>
            <translation>جارٍ إنشاء الخزنة...</translation>
        </message>
    </context>
    <context>
        <name>UserDialog</name>
        <message>
            <location filename="../pages/admin.py" line="70" />
            <source>Roles of {0}</source>
            <translation>أدوار {0}</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="70" />
            <source>Add user</source>
            <translation>إضافة مستخدم</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="78" />
            <source>Name</source>
            <translation>الاسم</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="80" />
            <source>Password</source>
            <translation>كلمة المرور</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="81" />
            <source>Password again</source>
            <translation>كلمة المرور مرة أخرى</translation>
        </message>
        <message>
            <location filename="../pages/admin.py" line="103" />
            <source>The two passwords differ.</source>
            <translation>كلمتا المرور مختلفتان.</translation>
        </message>
    </context>
    <context>
        <name>_TablePage</name>
        <message>
            <location filename="../pages/matching.py" line="62" />
            <source>Filter</source>
            <translation>تصفية</translation>
        </message>
        <message>
            <location filename="../pages/matching.py" line="68" />
            <source>Case</source>
            <translation>القضية</translation>
        </message>
    </context>
</TS>
