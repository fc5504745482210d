<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ar">
<context>
    <name>About</name>
    <message>
        <location filename="../about.py" line="54"/>
        <source>Evidence and biometric matching workstation.</source>
        <translation>محطة عمل للأدلة والمطابقة البيومترية.</translation>
    </message>
    <message>
        <location filename="../about.py" line="55"/>
        <source>Built on</source>
        <translation>مبني على</translation>
    </message>
    <message>
        <location filename="../about.py" line="57"/>
        <source>Component</source>
        <translation>المكوّن</translation>
    </message>
    <message>
        <location filename="../about.py" line="58"/>
        <source>Version</source>
        <translation>الإصدار</translation>
    </message>
    <message>
        <location filename="../about.py" line="59"/>
        <source>Licence</source>
        <translation>الترخيص</translation>
    </message>
    <message>
        <location filename="../about.py" line="79"/>
        <source>Review: confirm the candidate</source>
        <translation>المراجعة: تأكيد المرشح</translation>
    </message>
    <message>
        <location filename="../about.py" line="80"/>
        <source>Review: reject the candidate</source>
        <translation>المراجعة: رفض المرشح</translation>
    </message>
    <message>
        <location filename="../about.py" line="81"/>
        <source>Review: inconclusive</source>
        <translation>المراجعة: غير حاسم</translation>
    </message>
    <message>
        <location filename="../about.py" line="82"/>
        <source>Review: next candidate</source>
        <translation>المراجعة: المرشح التالي</translation>
    </message>
    <message>
        <location filename="../about.py" line="83"/>
        <source>Review: previous candidate</source>
        <translation>المراجعة: المرشح السابق</translation>
    </message>
</context>
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../about.py" line="108"/>
        <source>About Custos</source>
        <translation>حول Custos</translation>
    </message>
</context>
<context>
    <name>Actions</name>
    <message>
        <location filename="../../vault/actions.py" line="22"/>
        <source>Vault created</source>
        <translation>أُنشئت الخزنة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="23"/>
        <source>Vault opened with the recovery key</source>
        <translation>فُتحت الخزنة بمفتاح الاسترداد</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="24"/>
        <source>Vault verified</source>
        <translation>تم التحقق من الخزنة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="25"/>
        <source>Vault upgraded to a newer format</source>
        <translation>تمت ترقية الخزنة إلى تنسيق أحدث</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="26"/>
        <source>Vault moved into the agency server</source>
        <translation>نُقلت الخزنة إلى خادم الجهة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="27"/>
        <source>Stored pack&apos;s size recorded by verify</source>
        <translation>سُجّل حجم حزمة مخزّنة أثناء التحقق</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="28"/>
        <source>Workstation signing key replaced</source>
        <translation>استُبدل مفتاح توقيع محطة العمل</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="29"/>
        <source>Vault key rotated</source>
        <translation>تم تدوير مفتاح الخزنة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="30"/>
        <source>Vault identity exported</source>
        <translation>صُدّرت هوية الخزنة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="31"/>
        <source>User added</source>
        <translation>أُضيف مستخدم</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="32"/>
        <source>User&apos;s roles changed</source>
        <translation>تغيّرت أدوار المستخدم</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="33"/>
        <source>User&apos;s password changed</source>
        <translation>تغيّرت كلمة مرور المستخدم</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="34"/>
        <source>User disabled</source>
        <translation>عُطّل المستخدم</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="35"/>
        <source>Failed sign-ins recorded</source>
        <translation>سُجّلت محاولات دخول فاشلة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="36"/>
        <source>Sign-in record found damaged</source>
        <translation>وُجد سجل الدخول تالفًا</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="37"/>
        <source>Action refused: no permission</source>
        <translation>رُفض الإجراء: لا صلاحية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="38"/>
        <source>Workstation enrolled</source>
        <translation>سُجّلت محطة عمل</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="39"/>
        <source>Workstation revoked</source>
        <translation>أُلغيت محطة عمل</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="40"/>
        <source>Write refused: workstation revoked</source>
        <translation>رُفضت كتابة: محطة العمل ملغاة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="41"/>
        <source>Refused: unsafe workstation key file</source>
        <translation>رُفض: ملف مفتاح محطة العمل غير آمن</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="42"/>
        <source>Workstation revoked, but the object store could not remove its key</source>
        <translation>أُلغيت محطة العمل، لكن مخزن الكائنات لم يتمكن من إزالة مفتاحها</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="46"/>
        <source>Case created</source>
        <translation>أُنشئت القضية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="47"/>
        <source>Case overview opened</source>
        <translation>فُتحت نظرة عامة على القضية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="48"/>
        <source>Evidence item acquired</source>
        <translation>اكتُسب دليل</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="49"/>
        <source>Custody: item acquired</source>
        <translation>العهدة: اكتُسب العنصر</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="50"/>
        <source>Evidence items acquired (one batch)</source>
        <translation>اكتُسبت عناصر أدلة (دفعة واحدة)</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="51"/>
        <source>Custody: item viewed</source>
        <translation>العهدة: عُرض العنصر</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="52"/>
        <source>Custody: item exported to a file</source>
        <translation>العهدة: صُدّر العنصر إلى ملف</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="53"/>
        <source>Custody: note added</source>
        <translation>العهدة: أُضيفت ملاحظة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="54"/>
        <source>Custody: seizure record corrected</source>
        <translation>العهدة: صُحّح سجل الضبط</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="55"/>
        <source>Custody: item sent to a partner</source>
        <translation>العهدة: أُرسل العنصر إلى شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="56"/>
        <source>Custody: item analysed for faces</source>
        <translation>العهدة: حُلّل العنصر بحثًا عن الوجوه</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="57"/>
        <source>Custody: match reviewed</source>
        <translation>العهدة: روجعت المطابقة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="58"/>
        <source>Custody: item in a court report</source>
        <translation>العهدة: أُدرج العنصر في تقرير للمحكمة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="59"/>
        <source>Custody: redacted copy made</source>
        <translation>العهدة: أُنشئت نسخة منقّحة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="60"/>
        <source>Court report made</source>
        <translation>أُعدّ تقرير للمحكمة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="61"/>
        <source>Handling label set on an item</source>
        <translation>عُيّن وسم التداول لعنصر</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="62"/>
        <source>Handling label set on a case</source>
        <translation>عُيّن وسم التداول لقضية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="63"/>
        <source>Handling label received with an item</source>
        <translation>استُلم وسم التداول مع عنصر</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="65"/>
        <source>Item analysed for faces</source>
        <translation>حُلّل عنصر بحثًا عن الوجوه</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="66"/>
        <source>Face found</source>
        <translation>عُثر على وجه</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="67"/>
        <source>Unknown faces grouped</source>
        <translation>جُمّعت الوجوه المجهولة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="68"/>
        <source>Watchlist search run</source>
        <translation>أُجري بحث في قائمة المراقبة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="69"/>
        <source>Candidate found by a search</source>
        <translation>عُثر على مرشح في بحث</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="70"/>
        <source>Candidate reviewed</source>
        <translation>رُوجع مرشح</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="71"/>
        <source>Review refused</source>
        <translation>رُفضت المراجعة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="72"/>
        <source>Similar items looked up</source>
        <translation>بُحث عن عناصر مشابهة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="73"/>
        <source>Photo fingerprint (PDQ) computed</source>
        <translation>حُسبت بصمة الصورة (PDQ)</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="74"/>
        <source>Photo near an entry of a PDQ set</source>
        <translation>صورة قريبة من قيد في مجموعة PDQ</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="75"/>
        <source>Thumbnail made</source>
        <translation>أُنشئت صورة مصغّرة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="76"/>
        <source>Face boxes of a video track recorded</source>
        <translation>سُجِّلت مربعات الوجه لمسار فيديو</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="77"/>
        <source>Missed face drawn by hand</source>
        <translation>رُسم يدويًا وجه فات الكاشف</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="78"/>
        <source>False detection discarded</source>
        <translation>استُبعد كشف خاطئ</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="79"/>
        <source>Group of faces named as a subject</source>
        <translation>سُمّيت مجموعة وجوه كشخص مدرج</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="80"/>
        <source>Faces split from their group</source>
        <translation>فُصلت وجوه عن مجموعتها</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="81"/>
        <source>Groups of faces merged</source>
        <translation>دُمجت مجموعات وجوه</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="82"/>
        <source>Redacted copy of an item made</source>
        <translation>أُنشئت نسخة منقّحة من عنصر</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="83"/>
        <source>Watchlist created</source>
        <translation>أُنشئت قائمة مراقبة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="84"/>
        <source>Subject listed</source>
        <translation>أُدرج شخص</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="85"/>
        <source>Subject&apos;s listing changed</source>
        <translation>تغيّر إدراج الشخص</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="86"/>
        <source>Reference photo added</source>
        <translation>أُضيفت صورة مرجعية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="87"/>
        <source>Watchlist threshold calibrated</source>
        <translation>عُايرت عتبة قائمة المراقبة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="88"/>
        <source>Server search index built</source>
        <translation>بُني فهرس البحث على الخادم</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="89"/>
        <source>Reference vectors written to the server</source>
        <translation>كُتبت متجهات الصور المرجعية على الخادم</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="92"/>
        <source>Server vectors of no reference removed</source>
        <translation>حُذفت من الخادم متجهات لا تعود إلى أي صورة مرجعية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="95"/>
        <source>Watchlist sent to a partner</source>
        <translation>أُرسلت قائمة مراقبة إلى شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="96"/>
        <source>Watchlist export refused</source>
        <translation>رُفض تصدير قائمة المراقبة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="97"/>
        <source>Watchlist received from a partner</source>
        <translation>استُلمت قائمة مراقبة من شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="99"/>
        <source>Hash set imported</source>
        <translation>استُوردت مجموعة تجزئة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="100"/>
        <source>Hash set made from a case</source>
        <translation>أُنشئت مجموعة تجزئة من قضية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="101"/>
        <source>Hash set enabled</source>
        <translation>فُعّلت مجموعة تجزئة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="102"/>
        <source>Hash set disabled</source>
        <translation>عُطّلت مجموعة تجزئة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="103"/>
        <source>Hash set deleted</source>
        <translation>حُذفت مجموعة تجزئة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="104"/>
        <source>Hash set received from a partner</source>
        <translation>استُلمت مجموعة تجزئة من شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="105"/>
        <source>Hash set sent to a partner</source>
        <translation>أُرسلت مجموعة تجزئة إلى شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="106"/>
        <source>Hash set export refused</source>
        <translation>رُفض تصدير مجموعة التجزئة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="107"/>
        <source>Case matched against hash sets</source>
        <translation>طوبقت القضية مع مجموعات التجزئة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="108"/>
        <source>Known file found</source>
        <translation>عُثر على ملف معروف</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="109"/>
        <source>Known-bad file found</source>
        <translation>عُثر على ملف معروف بأنه ضار</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="110"/>
        <source>Known-bad alert acknowledged</source>
        <translation>أُقرّ بتنبيه ملف ضار</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="112"/>
        <source>Our agency&apos;s details set</source>
        <translation>عُيّنت بيانات جهتنا</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="113"/>
        <source>Our key card saved</source>
        <translation>حُفظت بطاقة مفاتيحنا</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="114"/>
        <source>Partner added</source>
        <translation>أُضيف شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="115"/>
        <source>Partner key added</source>
        <translation>أُضيف مفتاح شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="116"/>
        <source>Partner key retired</source>
        <translation>أُوقف مفتاح شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="117"/>
        <source>Partner key revoked</source>
        <translation>أُلغي مفتاح شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="118"/>
        <source>Partner&apos;s encryption key changed</source>
        <translation>تغيّر مفتاح تشفير الشريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="119"/>
        <source>Partner&apos;s audit head recorded</source>
        <translation>سُجّل رأس سجل تدقيق الشريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="120"/>
        <source>Agreement added</source>
        <translation>أُضيفت اتفاقية</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="121"/>
        <source>Agreement set to redacted copies only</source>
        <translation>ضُبطت الاتفاقية على النسخ المنقّحة فقط</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="122"/>
        <source>Bundle sent to a partner</source>
        <translation>أُرسلت حزمة إلى شريك</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="123"/>
        <source>Bundle export refused</source>
        <translation>رُفض تصدير الحزمة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="124"/>
        <source>Bundle verified</source>
        <translation>تم التحقق من الحزمة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="125"/>
        <source>Bundle refused</source>
        <translation>رُفضت الحزمة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="126"/>
        <source>Bundle imported</source>
        <translation>استُوردت الحزمة</translation>
    </message>
    <message>
        <location filename="../../vault/actions.py" line="127"/>
        <source>Partner&apos;s audit head went backwards</source>
        <translation>رجع رأس سجل تدقيق الشريك إلى الوراء</translation>
    </message>
</context>
<context>
    <name>Admin</name>
    <message>
        <location filename="../pages/admin.py" line="40"/>
        <source>User</source>
        <translation>المستخدم</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="41"/>
        <location filename="../pages/admin.py" line="89"/>
        <source>Roles</source>
        <translation>الأدوار</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="43"/>
        <location filename="../pages/workstations.py" line="47"/>
        <source>State</source>
        <translation>الحالة</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="49"/>
        <source>disabled</source>
        <translation>معطّل</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="47"/>
        <source>Created</source>
        <translation>تاريخ الإنشاء</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="49"/>
        <location filename="../pages/workstations.py" line="28"/>
        <source>active</source>
        <translation>نشط</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="56"/>
        <source>(names not kept)</source>
        <translation>(أسماء لم تُحفظ)</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="64"/>
        <source>{0} refused while waiting</source>
        <translation>{0} رُفضت أثناء الانتظار</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="67"/>
        <source>then signed in</source>
        <translation>ثم سجّل الدخول</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="72"/>
        <source>Name typed</source>
        <translation>الاسم المُدخَل</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="73"/>
        <source>Failures</source>
        <translation>المحاولات الفاشلة</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="74"/>
        <source>First</source>
        <translation>الأولى</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="75"/>
        <source>Last</source>
        <translation>الأخيرة</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="76"/>
        <source>Note</source>
        <translation>ملاحظة</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="79"/>
        <source>Administrator</source>
        <translation>مسؤول النظام</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="80"/>
        <source>Officer</source>
        <translation>ضابط</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="81"/>
        <source>Analyst</source>
        <translation>محلل</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="82"/>
        <source>Liaison</source>
        <translation>ضابط اتصال</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="199"/>
        <source>Verifying the vault</source>
        <translation>جارٍ التحقق من الخزنة</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="27"/>
        <source>revoked by {0}</source>
        <translation>ألغاها {0}</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="33"/>
        <source>Workstation</source>
        <translation>محطة العمل</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="36"/>
        <source>shared key</source>
        <translation>المفتاح المشترك</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="40"/>
        <source>This machine</source>
        <translation>هذا الجهاز</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="42"/>
        <source>yes</source>
        <translation>نعم</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="44"/>
        <source>Key fingerprint</source>
        <translation>بصمة المفتاح</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="45"/>
        <source>Enrolled by</source>
        <translation>سجّلها</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="46"/>
        <source>Enrolled</source>
        <translation>تاريخ التسجيل</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="48"/>
        <source>Revoked</source>
        <translation>تاريخ الإلغاء</translation>
    </message>
</context>
<context>
    <name>AdminPage</name>
    <message>
        <location filename="../pages/admin.py" line="243"/>
        <source>Rotate workstation key...</source>
        <translation>تدوير مفتاح محطة العمل...</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="424"/>
        <source>Disabling {0}</source>
        <translation>تعطيل {0}</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="453"/>
        <source>Rotate workstation key</source>
        <translation>تدوير مفتاح محطة العمل</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="455"/>
        <source>Make a new signing key? Earlier audit entries stay verifiable; partner agencies need our new key card.</source>
        <translation>هل تريد إنشاء مفتاح توقيع جديد؟ تبقى إدخالات التدقيق السابقة قابلة للتحقق، وتحتاج الجهات الشريكة إلى بطاقة مفتاحنا الجديدة.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="495"/>
        <source>New workstation key: {0}</source>
        <translation>مفتاح محطة العمل الجديد: {0}</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="230"/>
        <source>Add user...</source>
        <translation>إضافة مستخدم...</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="232"/>
        <source>Change roles...</source>
        <translation>تغيير الأدوار...</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="234"/>
        <source>Disable</source>
        <translation>تعطيل</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="236"/>
        <source>Set password...</source>
        <translation>تعيين كلمة المرور...</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="240"/>
        <source>Verify vault...</source>
        <translation>التحقق من الخزنة...</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="255"/>
        <source> min</source>
        <translation> دقيقة</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="266"/>
        <source>Lock the session after idle time</source>
        <translation>قفل الجلسة بعد مدة خمول</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="280"/>
        <source>Vault key rotated</source>
        <translation>تم تدوير مفتاح الخزنة</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="287"/>
        <source>Save our key card...</source>
        <translation>حفظ بطاقة مفتاحنا...</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="300"/>
        <source>The vault key was rotated ({0} stored files). Partners need our new key card: bundles they encrypt to our old key still open here, but only the new card protects what they send next.</source>
        <translation>تم تدوير مفتاح الخزنة ({0} ملف مخزّن). يحتاج الشركاء إلى بطاقة مفتاحنا الجديدة: الحزم التي يشفّرونها لمفتاحنا القديم ما زالت تُفتح هنا، لكن البطاقة الجديدة وحدها تحمي ما يرسلونه لاحقاً.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="305"/>
        <source>A liaison saves it on the Partners page.</source>
        <translation>يحفظها موظف الارتباط من صفحة الشركاء.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="323"/>
        <source>Failed sign-ins and the audit head</source>
        <translation>محاولات الدخول الفاشلة ورأس سجل التدقيق</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="341"/>
        <source>Audit head</source>
        <translation>رأس سجل التدقيق</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="365"/>
        <source>Write this down or send it to someone outside the agency; custos verify --head {0} checks against it later.</source>
        <translation>دوّن هذا أو أرسله إلى شخص خارج الجهة؛ يتحقق الأمر custos verify --head {0} منه لاحقًا.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="369"/>
        <source>No failed sign-ins recorded.</source>
        <translation>لا توجد محاولات دخول فاشلة مسجّلة.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="371"/>
        <source>The record of failed sign-ins was replaced: {0}</source>
        <translation>استُبدل سجل محاولات الدخول الفاشلة: {0}</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="411"/>
        <source>Disable user</source>
        <translation>تعطيل المستخدم</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="412"/>
        <source>Disable {0}? They can no longer sign in.</source>
        <translation>تعطيل {0}؟ لن يتمكن من تسجيل الدخول بعد الآن.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="246"/>
        <source>Rotate vault key...</source>
        <translation>تدوير مفتاح الخزنة...</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="470"/>
        <source>Rotate vault key</source>
        <translation>تدوير مفتاح الخزنة</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="472"/>
        <source>Reason (recorded in the audit log):</source>
        <translation>السبب (يُسجَّل في سجل التدقيق):</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="485"/>
        <source>Rotating the vault key</source>
        <translation>جارٍ تدوير مفتاح الخزنة</translation>
    </message>
</context>
<context>
    <name>Agency</name>
    <message>
        <location filename="../pages/agency.py" line="30"/>
        <source>Save our key card</source>
        <translation>حفظ بطاقة مفتاحنا</translation>
    </message>
    <message>
        <location filename="../pages/agency.py" line="54"/>
        <source>Our key card is saved in {0}. Signing key {1}; recipient {2}.</source>
        <translation>حُفظت بطاقة مفتاحنا في {0}. مفتاح التوقيع {1}؛ المستلم {2}.</translation>
    </message>
</context>
<context>
    <name>AgencyDialog</name>
    <message>
        <location filename="../pages/agency.py" line="69"/>
        <source>Our agency</source>
        <translation>جهتنا</translation>
    </message>
    <message>
        <location filename="../pages/agency.py" line="73"/>
        <source>two letters, e.g. NL</source>
        <translation>حرفان، مثل NL</translation>
    </message>
    <message>
        <location filename="../pages/agency.py" line="75"/>
        <source>desk, e-mail or phone</source>
        <translation>المكتب أو البريد الإلكتروني أو الهاتف</translation>
    </message>
    <message>
        <location filename="../pages/agency.py" line="77"/>
        <source>Partners see these on our key card. Give them a new card after a change.</source>
        <translation>يرى الشركاء هذه البيانات على بطاقة مفتاحنا. أعطهم بطاقة جديدة بعد أي تغيير.</translation>
    </message>
    <message>
        <location filename="../pages/agency.py" line="81"/>
        <source>Agency name</source>
        <translation>اسم الجهة</translation>
    </message>
    <message>
        <location filename="../pages/agency.py" line="82"/>
        <source>Country</source>
        <translation>البلد</translation>
    </message>
    <message>
        <location filename="../pages/agency.py" line="83"/>
        <source>Contact</source>
        <translation>جهة الاتصال</translation>
    </message>
</context>
<context>
    <name>AgreementDialog</name>
    <message>
        <location filename="../pages/agreements.py" line="103"/>
        <source>Add agreement</source>
        <translation>إضافة الاتفاقية</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="72"/>
        <source>Allowed TLP labels</source>
        <translation>تصنيفات TLP المسموح بها</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="78"/>
        <source>Crime areas (none checked: all)</source>
        <translation>مجالات الجريمة (بلا اختيار: الكل)</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="36"/>
        <source>Intelligence</source>
        <translation>استخبارات</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="35"/>
        <source>Joint operation</source>
        <translation>عملية مشتركة</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="93"/>
        <source>MLA reference</source>
        <translation>مرجع المساعدة القانونية المتبادلة</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="34"/>
        <source>Mutual legal assistance (MLA)</source>
        <translation>المساعدة القانونية المتبادلة (MLA)</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="63"/>
        <source>New agreement with {0}</source>
        <translation>اتفاقية جديدة مع {0}</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="91"/>
        <source>Partner</source>
        <translation>الشريك</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="92"/>
        <source>Purpose</source>
        <translation>الغرض</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="69"/>
        <source>The MLA request reference</source>
        <translation>مرجع طلب المساعدة القانونية المتبادلة</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="84"/>
        <source>The partner may share onward</source>
        <translation>يجوز للشريك المشاركة اللاحقة</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="94"/>
        <source>Valid from</source>
        <translation>صالحة من</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="95"/>
        <source>Valid until</source>
        <translation>صالحة حتى</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="85"/>
        <source>Photos and videos only as redacted copies</source>
        <translation>الصور ومقاطع الفيديو كنسخ مموهة فقط</translation>
    </message>
    <message>
        <location filename="../pages/agreements.py" line="86"/>
        <source>Faces blurred; the originals never go (Redact...)</source>
        <translation>وجوه مموهة؛ لا تُرسل الأصول أبداً (تمويه...)</translation>
    </message>
</context>
<context>
    <name>Alerts</name>
    <message>
        <location filename="../pages/hashsets.py" line="430"/>
        <source>Item</source>
        <translation>العنصر</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="431"/>
        <source>Hash set</source>
        <translation>مجموعة التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="433"/>
        <source>Category</source>
        <translation>الفئة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="437"/>
        <source>Matched on</source>
        <translation>طابق على</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="438"/>
        <source>Found</source>
        <translation>وُجد في</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="440"/>
        <source>Acknowledged</source>
        <translation>تم الإقرار</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="444"/>
        <source>Digest</source>
        <translation>البصمة</translation>
    </message>
</context>
<context>
    <name>AlertsDialog</name>
    <message>
        <location filename="../pages/hashsets.py" line="493"/>
        <source>Known-bad alerts of {0}</source>
        <translation>تنبيهات الملفات الضارة المعروفة في {0}</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="503"/>
        <source>Acknowledge...</source>
        <translation>إقرار...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="506"/>
        <source>View item</source>
        <translation>عرض العنصر</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="508"/>
        <source>Close</source>
        <translation>إغلاق</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="539"/>
        <source>{0} alerts, {1} not acknowledged</source>
        <translation>{0} تنبيهات، {1} دون إقرار</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="553"/>
        <source>Item {0} is in the known-bad set {1}.</source>
        <translation>العنصر {0} موجود في مجموعة الملفات الضارة المعروفة {1}.</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="558"/>
        <source>{0} alerts of {1} items are acknowledged with one reason.</source>
        <translation>يُقَرّ بـ {0} تنبيهات لـ {1} عناصر بسبب واحد.</translation>
    </message>
</context>
<context>
    <name>Areas</name>
    <message>
        <location filename="../pages/__init__.py" line="43"/>
        <source>Cases</source>
        <translation>القضايا</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="50"/>
        <source>Overview</source>
        <translation>نظرة عامة</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="57"/>
        <source>Evidence</source>
        <translation>الأدلة</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="78"/>
        <source>Hash sets</source>
        <translation>مجموعات التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="85"/>
        <source>Faces</source>
        <translation>الوجوه</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="92"/>
        <source>Watchlists</source>
        <translation>قوائم المراقبة</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="99"/>
        <source>Review</source>
        <translation>المراجعة</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="106"/>
        <source>Partners</source>
        <translation>الشركاء</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="113"/>
        <source>Bundles</source>
        <translation>الحزم</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="120"/>
        <source>Audit</source>
        <translation>سجل التدقيق</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="127"/>
        <source>Admin</source>
        <translation>الإدارة</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="64"/>
        <source>Timeline</source>
        <translation>الخط الزمني</translation>
    </message>
    <message>
        <location filename="../pages/__init__.py" line="71"/>
        <source>Map</source>
        <translation>الخريطة</translation>
    </message>
</context>
<context>
    <name>Audit</name>
    <message>
        <location filename="../pages/audit.py" line="53"/>
        <source>Seq</source>
        <translation>التسلسل</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="34"/>
        <source>yes</source>
        <translation>نعم</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="34"/>
        <source>no</source>
        <translation>لا</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="38"/>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="39"/>
        <source>Actor</source>
        <translation>المنفّذ</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="40"/>
        <source>Action</source>
        <translation>الإجراء</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="41"/>
        <source>Target</source>
        <translation>الهدف</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="43"/>
        <source>Details</source>
        <translation>التفاصيل</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="48"/>
        <source>Workstation</source>
        <translation>محطة العمل</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="50"/>
        <source>shared key</source>
        <translation>المفتاح المشترك</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="54"/>
        <source>Hash</source>
        <translation>البصمة</translation>
    </message>
</context>
<context>
    <name>AuditPage</name>
    <message>
        <location filename="../pages/audit.py" line="73"/>
        <source>Choose an entry to read its details.</source>
        <translation>اختر إدخالًا لقراءة تفاصيله.</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="76"/>
        <source>Filter by user, action, target or details</source>
        <translation>تصفية حسب المستخدم أو الإجراء أو الهدف أو التفاصيل</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="81"/>
        <source>Verify now...</source>
        <translation>تحقق الآن...</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="107"/>
        <source>Chain status: not verified yet (run a verify).</source>
        <translation>حالة السلسلة: لم يُتحقق منها بعد (شغّل التحقق).</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="110"/>
        <source>Chain status: verify at {0} found {1} problem(s).</source>
        <translation>حالة السلسلة: التحقق في {0} وجد {1} مشكلة.</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="116"/>
        <source>Chain status: intact (verified at {0}, {1} entries).</source>
        <translation>حالة السلسلة: سليمة (تحقق في {0}، {1} قيد).</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="128"/>
        <source>Time: {0}</source>
        <translation>الوقت: {0}</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="129"/>
        <source>Actor: {0}</source>
        <translation>المنفّذ: {0}</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="130"/>
        <source>Action: {0} ({1})</source>
        <translation>الإجراء: {0} ({1})</translation>
    </message>
    <message>
        <location filename="../pages/audit.py" line="131"/>
        <source>Target: {0}</source>
        <translation>الهدف: {0}</translation>
    </message>
</context>
<context>
    <name>BundleDialogs</name>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="85"/>
        <source>Choose...</source>
        <translation>اختيار...</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="89"/>
        <source>Encrypt to the partner (one .tar.age file)</source>
        <translation>تشفير للشريك (ملف ‎.tar.age واحد)</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="94"/>
        <source>Partner</source>
        <translation>الشريك</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="95"/>
        <source>Purpose</source>
        <translation>الغرض</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="97"/>
        <source>Save in</source>
        <translation>الحفظ في</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="99"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="105"/>
        <source>Export</source>
        <translation>تصدير</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="138"/>
        <source>Save the bundle in</source>
        <translation>حفظ الحزمة في</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="147"/>
        <source>Add a partner first (Partners page).</source>
        <translation>أضف شريكًا أولًا (صفحة الشركاء).</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="152"/>
        <source>Choose a folder and a name for the bundle.</source>
        <translation>اختر مجلدًا واسمًا للحزمة.</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="170"/>
        <source>Refused by the agreements with {0}; nothing was written:</source>
        <translation>رُفض بموجب الاتفاقيات مع {0}؛ لم يُكتب شيء:</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="204"/>
        <source>Folder...</source>
        <translation>مجلد...</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="206"/>
        <source>Encrypted file...</source>
        <translation>ملف مشفّر...</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="211"/>
        <source>Bundle</source>
        <translation>الحزمة</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="214"/>
        <source>Import as</source>
        <translation>الاستيراد باسم</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="218"/>
        <source>Import</source>
        <translation>استيراد</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="234"/>
        <source>Bundle folder</source>
        <translation>مجلد الحزمة</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="242"/>
        <source>Encrypted bundle</source>
        <translation>حزمة مشفّرة</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="244"/>
        <source>Bundles (*.tar.age)</source>
        <translation>الحزم (*.tar.age)</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="252"/>
        <source>Choose a bundle folder or a .tar.age file.</source>
        <translation>اختر مجلد حزمة أو ملف ‎.tar.age.</translation>
    </message>
    <message>
        <location filename="../pages/bundle_dialogs.py" line="260"/>
        <source>Checking the bundle...</source>
        <translation>جارٍ فحص الحزمة...</translation>
    </message>
</context>
<context>
    <name>BundlesPage</name>
    <message>
        <location filename="../pages/bundles.py" line="171"/>
        <source>&lt;b&gt;Bundles sent and received&lt;/b&gt;</source>
        <translation>&lt;b&gt;الحزم المرسلة والمستلمة&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="62"/>
        <source>Bundle hash</source>
        <translation>بصمة الحزمة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="56"/>
        <source>Case or watchlist</source>
        <translation>القضية أو قائمة المراقبة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="52"/>
        <source>Direction</source>
        <translation>الاتجاه</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="60"/>
        <source>Items</source>
        <translation>العناصر</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="53"/>
        <source>Partner</source>
        <translation>الشريك</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="54"/>
        <source>Purpose</source>
        <translation>الغرض</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="59"/>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="42"/>
        <source>case</source>
        <translation>قضية</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="39"/>
        <source>received</source>
        <translation>مستلمة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="38"/>
        <source>sent</source>
        <translation>مرسلة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="43"/>
        <source>watchlist</source>
        <translation>قائمة مراقبة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="199"/>
        <source>Bundle folder...</source>
        <translation>مجلد الحزمة...</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="201"/>
        <source>Encrypted bundle file (.tar.age)...</source>
        <translation>ملف حزمة مشفّر (.tar.age)...</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="209"/>
        <source>Choose the encrypted bundle</source>
        <translation>اختر الحزمة المشفّرة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="211"/>
        <source>Encrypted bundles (*.tar.age)</source>
        <translation>حزم مشفّرة (*.tar.age)</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="133"/>
        <source>Export to a partner...</source>
        <translation>تصدير إلى شريك...</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="135"/>
        <source>Verify a bundle...</source>
        <translation>التحقق من حزمة...</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="137"/>
        <source>Import a bundle into the case...</source>
        <translation>استيراد حزمة إلى القضية...</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="141"/>
        <source>Bundles are signed BagIt folders (or one file encrypted to the partner). An export is checked against the agreements before anything is written; a received bundle is verified completely before anything is imported.</source>
        <translation>الحزم مجلدات BagIt موقّعة (أو ملف واحد مشفّر للشريك). يُفحص التصدير مقابل الاتفاقيات قبل كتابة أي شيء، وتُتحقق الحزمة المستلمة بالكامل قبل استيراد أي شيء.</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="151"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="164"/>
        <source>&lt;b&gt;Send&lt;/b&gt;</source>
        <translation>&lt;b&gt;إرسال&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="167"/>
        <source>&lt;b&gt;Receive&lt;/b&gt;</source>
        <translation>&lt;b&gt;استلام&lt;/b&gt;</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="214"/>
        <source>Choose the bundle folder</source>
        <translation>اختر مجلد الحزمة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="221"/>
        <source>Verifying {0}</source>
        <translation>جارٍ التحقق من {0}</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="230"/>
        <source>Bundle {0} from {1} is intact.</source>
        <translation>الحزمة {0} من {1} سليمة.</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="232"/>
        <source>This bundle is refused: {0} problem(s).</source>
        <translation>هذه الحزمة مرفوضة: {0} مشكلة.</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="233"/>
        <source>Bundle verification</source>
        <translation>التحقق من الحزمة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="240"/>
        <source>Choose the case to import into first.</source>
        <translation>اختر أولاً القضية التي يُستورد إليها.</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="244"/>
        <source>Importing {0} into {1}</source>
        <translation>جارٍ استيراد {0} إلى {1}</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="255"/>
        <source>Imported {0} item(s) from {1} (bundle {2}).</source>
        <translation>تم استيراد {0} عنصر من {1} (الحزمة {2}).</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="258"/>
        <source>Every file was checked against the signed manifest.</source>
        <translation>فُحص كل ملف مقابل البيان الموقّع.</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="261"/>
        <source>Import refused: {0} problem(s). Nothing was imported.</source>
        <translation>رُفض الاستيراد: {0} مشكلة. لم يُستورد شيء.</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="267"/>
        <source>Bundle import</source>
        <translation>استيراد الحزمة</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="273"/>
        <source>Bundle: {0}</source>
        <translation>الحزمة: {0}</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="274"/>
        <source>Signed by: {0}, key {1} ({2})</source>
        <translation>موقّعة من: {0}، المفتاح {1} ({2})</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="275"/>
        <source>unknown</source>
        <translation>غير معروف</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="277"/>
        <source>Purpose: {0}; label: {1}</source>
        <translation>الغرض: {0}؛ التصنيف: {1}</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="280"/>
        <source>{0} files, {1} bytes</source>
        <translation>{0} ملف، {1} بايت</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="285"/>
        <source>No problem found.</source>
        <translation>لم يُعثر على أي مشكلة.</translation>
    </message>
    <message>
        <location filename="../pages/bundles.py" line="286"/>
        <source>Problems:</source>
        <translation>المشكلات:</translation>
    </message>
</context>
<context>
    <name>CalibrateDialog</name>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="44"/>
        <source>Calibrate {0}</source>
        <translation>معايرة {0}</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="47"/>
        <source>Choose...</source>
        <translation>اختيار...</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="56"/>
        <source>Labelled folder (one subfolder per person)</source>
        <translation>مجلد موسوم (مجلد فرعي لكل شخص)</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="58"/>
        <source>Target FPIR (false alerts per non-mated search)</source>
        <translation>FPIR المستهدف (التنبيهات الخاطئة لكل بحث غير مطابق)</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="61"/>
        <source>Calibrate</source>
        <translation>معايرة</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="69"/>
        <source>Labelled folder to measure on</source>
        <translation>المجلد الموسوم للقياس عليه</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="76"/>
        <source>Choose a labelled folder.</source>
        <translation>اختر مجلدًا موسومًا.</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="84"/>
        <source>Calibrating {0}</source>
        <translation>جارٍ معايرة {0}</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="85"/>
        <source>Alert threshold {0:.4f} (FPIR {1:.4f}).</source>
        <translation>عتبة التنبيه {0:.4f} (FPIR {1:.4f}).</translation>
    </message>
</context>
<context>
    <name>CaseDialog</name>
    <message>
        <location filename="../pages/cases.py" line="64"/>
        <source>New case</source>
        <translation>قضية جديدة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="69"/>
        <source>Agencies, separated by commas</source>
        <translation>الجهات، مفصولة بفواصل</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="71"/>
        <source>Reference</source>
        <translation>المرجع</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="72"/>
        <source>Title</source>
        <translation>العنوان</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="73"/>
        <source>Crime areas</source>
        <translation>مجالات الجريمة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="81"/>
        <source>Joint operation</source>
        <translation>عملية مشتركة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="82"/>
        <source>Partner agencies</source>
        <translation>الجهات الشريكة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="83"/>
        <source>Also compute SHA-1 and MD5 (hash-set sharing)</source>
        <translation>احسب أيضًا SHA-1 و MD5 (لمشاركة مجموعات البصمات)</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="87"/>
        <source>SHA-256 is always computed. SHA-1 and MD5 let partners match these files against shared hash sets; without them large files ingest about twice as fast.</source>
        <translation>تُحسب بصمة SHA-256 دائمًا. تتيح SHA-1 و MD5 للشركاء مطابقة هذه الملفات مع مجموعات البصمات المشتركة؛ ومن دونهما يُستورد الملف الكبير أسرع بنحو الضعف.</translation>
    </message>
</context>
<context>
    <name>CasePdqSetsDialog</name>
    <message>
        <location filename="../pages/hashset_exchange.py" line="215"/>
        <source>Near-duplicates of PDQ hash sets</source>
        <translation>الصور شبه المطابقة لمجموعات تجزئة PDQ</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="221"/>
        <source> bits</source>
        <translation> بت</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="222"/>
        <source>Look</source>
        <translation>ابحث</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="225"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="227"/>
        <source>Distance</source>
        <translation>المسافة</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="237"/>
        <source>View item</source>
        <translation>عرض العنصر</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="239"/>
        <source>Close</source>
        <translation>إغلاق</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="260"/>
        <source>Looking...</source>
        <translation>جارٍ البحث...</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="277"/>
        <source>{0} items near an active PDQ set&apos;s entry (within {1} bits).</source>
        <translation>{0} عنصرًا قريبًا من مدخل في مجموعة PDQ نشطة (ضمن {1} بت).</translation>
    </message>
</context>
<context>
    <name>CaseSubjectPage</name>
    <message>
        <location filename="../casepage.py" line="40"/>
        <source>Every item</source>
        <translation>كل العناصر</translation>
    </message>
    <message>
        <location filename="../casepage.py" line="167"/>
        <source>Zoom in</source>
        <translation>تكبير</translation>
    </message>
    <message>
        <location filename="../casepage.py" line="170"/>
        <source>Zoom out</source>
        <translation>تصغير</translation>
    </message>
    <message>
        <location filename="../casepage.py" line="172"/>
        <source>Show all</source>
        <translation>عرض الكل</translation>
    </message>
</context>
<context>
    <name>Cases</name>
    <message>
        <location filename="../pages/cases.py" line="31"/>
        <source>Reference</source>
        <translation>المرجع</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="32"/>
        <source>Title</source>
        <translation>العنوان</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="33"/>
        <source>Items</source>
        <translation>العناصر</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="34"/>
        <source>Crime areas</source>
        <translation>مجالات الجريمة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="35"/>
        <source>Joint operation</source>
        <translation>عملية مشتركة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="36"/>
        <source>Partners</source>
        <translation>الشركاء</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="37"/>
        <source>Created by</source>
        <translation>أنشأها</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="38"/>
        <source>Created</source>
        <translation>تاريخ الإنشاء</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="42"/>
        <source>Drug trafficking</source>
        <translation>الاتجار بالمخدرات</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="43"/>
        <source>Human trafficking</source>
        <translation>الاتجار بالبشر</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="44"/>
        <source>Arms smuggling</source>
        <translation>تهريب الأسلحة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="45"/>
        <source>Money laundering</source>
        <translation>غسل الأموال</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="46"/>
        <source>Cybercrime</source>
        <translation>الجرائم الإلكترونية</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="47"/>
        <source>Terrorism</source>
        <translation>الإرهاب</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="48"/>
        <source>Corruption</source>
        <translation>الفساد</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="49"/>
        <source>Fraud</source>
        <translation>الاحتيال</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="50"/>
        <source>Other</source>
        <translation>أخرى</translation>
    </message>
</context>
<context>
    <name>CasesPage</name>
    <message>
        <location filename="../pages/cases.py" line="151"/>
        <source>Filter cases</source>
        <translation>تصفية القضايا</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="154"/>
        <source>New case...</source>
        <translation>قضية جديدة...</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="157"/>
        <source>Show evidence</source>
        <translation>عرض الأدلة</translation>
    </message>
    <message>
        <location filename="../pages/cases.py" line="183"/>
        <source>Case {0} created</source>
        <translation>أُنشئت القضية {0}</translation>
    </message>
</context>
<context>
    <name>ClusterDialog</name>
    <message>
        <location filename="../pages/faces.py" line="298"/>
        <source>Clusters in {0}</source>
        <translation>المجموعات في {0}</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="303"/>
        <source>Group {0}: {1} faces in {2} items</source>
        <translation>المجموعة {0}: {1} وجه في {2} عنصر</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="312"/>
        <source>No face recurs in this case.</source>
        <translation>لا يتكرر أي وجه في هذه القضية.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="314"/>
        <source>Faces that look alike, grouped; not an identification.</source>
        <translation>وجوه متشابهة مجمّعة؛ وليست تعرّفاً على الهوية.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="316"/>
        <source>Name as subject...</source>
        <translation>تسمية كشخص مدرج...</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="320"/>
        <source>Split selected faces</source>
        <translation>فصل الوجوه المحددة</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="321"/>
        <source>The selected faces are another person</source>
        <translation>الوجوه المحددة لشخص آخر</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="323"/>
        <source>Merge selected groups</source>
        <translation>دمج المجموعات المحددة</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="324"/>
        <source>The groups selected on the left are one person</source>
        <translation>المجموعات المحددة على اليسار لشخص واحد</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="356"/>
        <source>Select the faces to split off first.</source>
        <translation>حدد أولاً الوجوه المراد فصلها.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="363"/>
        <source>Select two or more groups on the left first.</source>
        <translation>حدد أولاً مجموعتين أو أكثر على اليسار.</translation>
    </message>
</context>
<context>
    <name>CustodyFormDialog</name>
    <message>
        <location filename="../pages/evidence.py" line="194"/>
        <source>Custody record for this batch</source>
        <translation>سجل الحيازة لهذه الدفعة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="195"/>
        <source>{0} file(s) or folder(s) to ingest</source>
        <translation>{0} ملف أو مجلد للإدخال</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="206"/>
        <source>Store files already in the case again</source>
        <translation>تخزين الملفات الموجودة في القضية مرة أخرى</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="209"/>
        <source>Files of the case with the same source path and SHA-256 are skipped unless this is checked.</source>
        <translation>تُتخطّى ملفات القضية ذات مسار المصدر نفسه وقيمة SHA-256 نفسها ما لم يُحدَّد هذا الخيار.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="214"/>
        <source>Exhibit number</source>
        <translation>رقم المضبوطات</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="215"/>
        <source>Seized from</source>
        <translation>ضُبط من</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="216"/>
        <source>Seized at (place)</source>
        <translation>مكان الضبط</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="217"/>
        <source>Seized on</source>
        <translation>تاريخ الضبط</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="218"/>
        <source>Seized by</source>
        <translation>ضبطه</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="219"/>
        <source>Description</source>
        <translation>الوصف</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="222"/>
        <source>Ingest</source>
        <translation>إدخال</translation>
    </message>
</context>
<context>
    <name>DrawFaceDialog</name>
    <message>
        <location filename="../pages/curate.py" line="91"/>
        <source>Add a missed face to item {0}</source>
        <translation>إضافة وجه فائت إلى العنصر {0}</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="94"/>
        <source>missed by the detector</source>
        <translation>لم يكتشفه الكاشف</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="95"/>
        <source>Drag a box around the face with the mouse.</source>
        <translation>اسحب إطاراً حول الوجه بالفأرة.</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="101"/>
        <source>Add face</source>
        <translation>إضافة الوجه</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="107"/>
        <source>Reason</source>
        <translation>السبب</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="118"/>
        <source>Box: x {0}, y {1}, {2} x {3} pixels</source>
        <translation>الإطار: س {0}، ص {1}، {2} × {3} بكسل</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="127"/>
        <source>Encoding the face...</source>
        <translation>جارٍ ترميز الوجه...</translation>
    </message>
</context>
<context>
    <name>EnrolDialog</name>
    <message>
        <location filename="../pages/watchlists.py" line="346"/>
        <source>Enrol a subject</source>
        <translation>تسجيل شخص</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="361"/>
        <source>YYYY-MM-DD (optional)</source>
        <translation>YYYY-MM-DD (اختياري)</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="363"/>
        <source>From: {0}</source>
        <translation>من: {0}</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="366"/>
        <source>Watchlist</source>
        <translation>قائمة المراقبة</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="367"/>
        <source>Subject id</source>
        <translation>معرّف الشخص</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="368"/>
        <source>Reason for listing</source>
        <translation>سبب الإدراج</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="369"/>
        <source>Issuing agency</source>
        <translation>الجهة المُصدِرة</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="370"/>
        <source>Label</source>
        <translation>التصنيف</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="371"/>
        <source>Review on</source>
        <translation>المراجعة في</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="372"/>
        <source>Expires on</source>
        <translation>ينتهي في</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="378"/>
        <source>Enrol</source>
        <translation>تسجيل</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="391"/>
        <source>Create a watchlist first.</source>
        <translation>أنشئ قائمة مراقبة أولاً.</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="394"/>
        <source>A subject needs an id.</source>
        <translation>يحتاج الشخص إلى معرّف.</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="404"/>
        <source>Checking the photos and enrolling...</source>
        <translation>جارٍ فحص الصور والتسجيل...</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="444"/>
        <source>{0} enrolled with {1} photos.</source>
        <translation>سُجّل {0} بعدد {1} من الصور.</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="448"/>
        <source>Refused:</source>
        <translation>مرفوضة:</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="450"/>
        <source>Enrolled, but below the recommended quality:</source>
        <translation>سُجّلت، لكن دون الجودة الموصى بها:</translation>
    </message>
</context>
<context>
    <name>Evidence</name>
    <message>
        <location filename="../pages/evidence.py" line="57"/>
        <source>ID</source>
        <translation>المعرّف</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="58"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="60"/>
        <source>Hash-set hits</source>
        <translation>تطابقات مجموعات التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="59"/>
        <source>Size</source>
        <translation>الحجم</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="61"/>
        <source>Exhibit</source>
        <translation>المضبوطات</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="62"/>
        <source>Seized by</source>
        <translation>ضبطه</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="63"/>
        <source>Acquired</source>
        <translation>تاريخ الإدخال</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="64"/>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="65"/>
        <source>MD5</source>
        <translation>MD5</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="66"/>
        <source>SHA-1</source>
        <translation>SHA-1</translation>
    </message>
</context>
<context>
    <name>EvidenceGrid</name>
    <message>
        <location filename="../pages/evidence_grid.py" line="239"/>
        <source>Making thumbnails: %v of %m</source>
        <translation>إنشاء الصور المصغرة: %v من %m</translation>
    </message>
    <message>
        <location filename="../pages/evidence_grid.py" line="240"/>
        <source>Stop</source>
        <translation>إيقاف</translation>
    </message>
    <message>
        <location filename="../pages/evidence_grid.py" line="268"/>
        <source>{0} face(s) found</source>
        <translation>عُثر على {0} وجه/وجوه</translation>
    </message>
    <message>
        <location filename="../pages/evidence_grid.py" line="270"/>
        <source>{0} candidate(s) waiting for review</source>
        <translation>{0} مرشح/مرشحين بانتظار المراجعة</translation>
    </message>
    <message>
        <location filename="../pages/evidence_grid.py" line="357"/>
        <source>{0} thumbnail(s) made.</source>
        <translation>أُنشئت {0} صورة/صور مصغرة.</translation>
    </message>
    <message>
        <location filename="../pages/evidence_grid.py" line="359"/>
        <source>{0} file(s) could not be shown: {1}</source>
        <translation>تعذر عرض {0} ملف/ملفات: {1}</translation>
    </message>
    <message>
        <location filename="../pages/evidence_grid.py" line="363"/>
        <source>Stopped: </source>
        <translation>أُوقف: </translation>
    </message>
</context>
<context>
    <name>EvidencePage</name>
    <message>
        <location filename="../pages/evidence.py" line="419"/>
        <source>Thumbnails</source>
        <translation>صور مصغرة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="423"/>
        <source>Show the evidence as thumbnails or as a table</source>
        <translation>عرض الأدلة صوراً مصغرة أو جدولاً</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="339"/>
        <source>Hide known-good</source>
        <translation>إخفاء الملفات السليمة المعروفة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="342"/>
        <source>Known-bad first</source>
        <translation>الضارة المعروفة أولاً</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="347"/>
        <source>Match against hash sets</source>
        <translation>المطابقة مع مجموعات التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="350"/>
        <source>Alerts</source>
        <translation>التنبيهات</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="353"/>
        <source>Similar...</source>
        <translation>المشابه...</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="355"/>
        <source>Near-duplicates and other occurrences of the selected item</source>
        <translation>النسخ شبه المطابقة والظهورات الأخرى للعنصر المحدد</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="359"/>
        <source>Filter by name, exhibit or hash</source>
        <translation>تصفية حسب الاسم أو المضبوطات أو البصمة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="364"/>
        <source>Add files...</source>
        <translation>إضافة ملفات...</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="366"/>
        <source>Add folder...</source>
        <translation>إضافة مجلد...</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="370"/>
        <location filename="../pages/evidence.py" line="646"/>
        <source>View</source>
        <translation>عرض</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="375"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="380"/>
        <source>Report...</source>
        <translation>تقرير...</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="381"/>
        <source>A signed court report of the case or selection</source>
        <translation>تقرير موقع للمحكمة عن القضية أو العناصر المختارة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="388"/>
        <source>Drop files or folders here to ingest them into the case.</source>
        <translation>أفلت الملفات أو المجلدات هنا لإدخالها في القضية.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="509"/>
        <source>Loading...</source>
        <translation>جارٍ التحميل...</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="554"/>
        <source>{0} items</source>
        <translation>{0} عنصر</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="690"/>
        <source>Save the court report</source>
        <translation>حفظ تقرير المحكمة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="690"/>
        <source>PDF files (*.pdf)</source>
        <translation>ملفات PDF (*.pdf)</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="707"/>
        <source>Court report of {0}</source>
        <translation>تقرير المحكمة للقضية {0}</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="718"/>
        <source>Report written to {0} with its HTML twin, signature and public key: {1} item(s), {2} face match(es). Check it with: openssl pkeyutl -verify -pubin -inkey {3} -rawin -in {0} -sigfile {4}</source>
        <translation>كُتب التقرير في {0} مع نسخته بصيغة HTML وتوقيعه ومفتاحه العام: {1} عنصر، {2} مطابقة وجه. للتحقق منه: openssl pkeyutl -verify -pubin -inkey {3} -rawin -in {0} -sigfile {4}</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="557"/>
        <source>({0} known-good hidden)</source>
        <translation>({0} من الملفات السليمة المعروفة مخفية)</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="565"/>
        <source>Alerts: {0}</source>
        <translation>التنبيهات: {0}</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="592"/>
        <source>Matching {0} against the hash sets</source>
        <translation>مطابقة {0} مع مجموعات التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="595"/>
        <source>{0} of {1} items looked up</source>
        <translation>تم البحث عن {0} من {1} عناصر</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="607"/>
        <source>No active hash set: import one on the Hash sets page.</source>
        <translation>لا توجد مجموعة تجزئة نشطة: استورد واحدة من صفحة مجموعات التجزئة.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="608"/>
        <source>{0} items looked up in {1} sets: {2} new hits, {3} known-bad.</source>
        <translation>تم البحث عن {0} عناصر في {1} مجموعات: {2} تطابقات جديدة، {3} ضارة معروفة.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="612"/>
        <source>{0} hits were found before.</source>
        <translation>وُجدت {0} تطابقات من قبل.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="615"/>
        <source>This case keeps no MD5 or SHA-1: only SHA-256 entries could match.</source>
        <translation>لا تحتفظ هذه القضية بـ MD5 أو SHA-1: لا يمكن أن تطابق إلا مدخلات SHA-256.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="647"/>
        <source>Similar and other occurrences...</source>
        <translation>المشابه والظهورات الأخرى...</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="731"/>
        <source>Choose files to ingest</source>
        <translation>اختر ملفات للإدخال</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="736"/>
        <source>Choose a folder to ingest</source>
        <translation>اختر مجلدًا للإدخال</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="678"/>
        <location filename="../pages/evidence.py" line="753"/>
        <source>Choose or create a case first.</source>
        <translation>اختر قضية أو أنشئها أولًا.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="771"/>
        <source>Ingesting into {0}</source>
        <translation>جارٍ الإدخال في {0}</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="779"/>
        <source>{0} saved, {1} failed.</source>
        <translation>حُفظ {0}، وفشل {1}.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="782"/>
        <source>{0} skipped as already in the case (same path and SHA-256).</source>
        <translation>تم تخطي {0} ملف موجود في القضية مسبقًا (المسار نفسه وSHA-256 نفسها).</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="785"/>
        <source>Cancelled: </source>
        <translation>أُلغي: </translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="785"/>
        <source>Finished items are kept.</source>
        <translation>العناصر المكتملة محفوظة.</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <location filename="../pages/export.py" line="33"/>
        <source>allowed</source>
        <translation>مسموح</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="34"/>
        <source>refused</source>
        <translation>مرفوض</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="37"/>
        <source>Item</source>
        <translation>العنصر</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="38"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="39"/>
        <source>Label</source>
        <translation>التصنيف</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="41"/>
        <source>Policy</source>
        <translation>السياسة</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="44"/>
        <source>Reason</source>
        <translation>السبب</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <location filename="../pages/export.py" line="63"/>
        <source>Export a bundle to a partner</source>
        <translation>تصدير حزمة إلى شريك</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="67"/>
        <source>1. Partner and purpose</source>
        <translation>1. الشريك والغرض</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="69"/>
        <source>Partner</source>
        <translation>الشريك</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="70"/>
        <source>Purpose</source>
        <translation>الغرض</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="71"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="73"/>
        <source>2. Items</source>
        <translation>2. العناصر</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="82"/>
        <source>3. Policy check (before anything is written)</source>
        <translation>3. فحص السياسة (قبل كتابة أي شيء)</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="88"/>
        <source>Choose...</source>
        <translation>اختيار...</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="90"/>
        <source>Encrypt to the partner (one .tar.age file)</source>
        <translation>تشفير للشريك (ملف ‎.tar.age واحد)</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="91"/>
        <source>Include face matches</source>
        <translation>تضمين نتائج مطابقة الوجوه</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="93"/>
        <source>Face search results and review decisions on these items (policy-checked).</source>
        <translation>نتائج البحث عن الوجوه وقرارات المراجعة لهذه العناصر (بعد فحص السياسة).</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="96"/>
        <source>Save in</source>
        <translation>الحفظ في</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="99"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="107"/>
        <source>Export</source>
        <translation>تصدير</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="132"/>
        <source>Loading...</source>
        <translation>جارٍ التحميل...</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="213"/>
        <source>Checking the agreements...</source>
        <translation>جارٍ فحص الاتفاقيات...</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="227"/>
        <source>Choose a partner, a case and at least one item.</source>
        <translation>اختر شريكاً وقضية وعنصراً واحداً على الأقل.</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="254"/>
        <source>Allowed: {0} item(s) under agreement {1} ({2}, until {3}).</source>
        <translation>مسموح: {0} عنصر بموجب الاتفاقية {1} ({2}، حتى {3}).</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="261"/>
        <source>Refused: {0} of {1} item(s) may not go to this partner (reasons below). Untick them or choose another purpose; nothing is written.</source>
        <translation>مرفوض: لا يجوز إرسال {0} من {1} عنصر إلى هذا الشريك (الأسباب أدناه). ألغِ تحديدها أو اختر غرضاً آخر؛ لن يُكتب شيء.</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="277"/>
        <source>Save the bundle in</source>
        <translation>حفظ الحزمة في</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="304"/>
        <source>Exporting to {0}</source>
        <translation>جارٍ التصدير إلى {0}</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="312"/>
        <source>Bundle written to {0}: {1} item(s), highest label TLP:{2}.</source>
        <translation>كُتبت الحزمة في {0}: {1} عنصر، أعلى تصنيف TLP:{2}.</translation>
    </message>
    <message>
        <location filename="../pages/export.py" line="319"/>
        <source>Bundle hash: {0}</source>
        <translation>بصمة الحزمة: {0}</translation>
    </message>
</context>
<context>
    <name>Faces</name>
    <message>
        <location filename="../gallery.py" line="171"/>
        <source>track {0}–{1} s</source>
        <translation>مسار {0}–{1} ث</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="198"/>
        <source>Face {0} in {1}</source>
        <translation>الوجه {0} في {1}</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="201"/>
        <source>Video track from {0} s to {1} s (best frame at {2} s)</source>
        <translation>مسار فيديو من {0} ث إلى {1} ث (أفضل إطار عند {2} ث)</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="207"/>
        <source>Captured: {0}</source>
        <translation>التُقطت: {0}</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="177"/>
        <source>discarded: {0}</source>
        <translation>مستبعد: {0}</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="210"/>
        <source>Drawn by hand by {0}</source>
        <translation>رسمه يدوياً {0}</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="214"/>
        <source>Discarded as a false detection: {0}</source>
        <translation>مستبعد كاكتشاف خاطئ: {0}</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="184"/>
        <source>{0} px between the eyes, sharpness {1}, turned {2}°, brightness {3}</source>
        <translation>{0} بكسل بين العينين، الحدة {1}، الالتفات {2}°، السطوع {3}</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="193"/>
        <source>Found by: {0}</source>
        <translation>اكتشفه: {0}</translation>
    </message>
    <message>
        <location filename="../gallery.py" line="165"/>
        <source>eyes {0} px · sharp {1} · {2}</source>
        <translation>العينان {0} بكسل · الحدة {1} · {2}</translation>
    </message>
</context>
<context>
    <name>FacesPage</name>
    <message>
        <location filename="../pages/faces.py" line="51"/>
        <source>Detect faces</source>
        <translation>اكتشاف الوجوه</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="61"/>
        <source>Cluster</source>
        <translation>تجميع</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="63"/>
        <source>Search watchlists...</source>
        <translation>البحث في قوائم المراقبة...</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="66"/>
        <source>Enrol selected as subject...</source>
        <translation>تسجيل المحدد كشخص...</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="76"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="117"/>
        <source>Loading...</source>
        <translation>جارٍ التحميل...</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="135"/>
        <source>{0} faces ({1} photos, {2} video tracks)</source>
        <translation>{0} وجه ({1} صورة، {2} مسار فيديو)</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="149"/>
        <location filename="../pages/faces.py" line="220"/>
        <source>Choose a case first.</source>
        <translation>اختر قضية أولاً.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="157"/>
        <source>Finding faces in {0}</source>
        <translation>جارٍ البحث عن الوجوه في {0}</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="168"/>
        <source>Detecting faces: {0} of {1} photos</source>
        <translation>كشف الوجوه: {0} من {1} صورة</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="171"/>
        <source>{0} items analysed, {1} faces found, {2} failed.</source>
        <translation>حُلّل {0} عنصر، وعُثر على {1} وجه، وفشل {2}.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="175"/>
        <source>Cancelled: </source>
        <translation>أُلغي: </translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="175"/>
        <source>Analysed items are kept.</source>
        <translation>يُحتفظ بالعناصر التي حُلّلت.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="196"/>
        <source>Grouping faces...</source>
        <translation>جارٍ تجميع الوجوه...</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="199"/>
        <source>Grouping the faces of {0}</source>
        <translation>تجميع وجوه {0}</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="231"/>
        <source>Select one or more faces of the same person first.</source>
        <translation>حدّد أولاً وجهاً أو أكثر للشخص نفسه.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="70"/>
        <source>Discard...</source>
        <translation>استبعاد...</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="71"/>
        <source>Mark the selected faces as false detections</source>
        <translation>وسم الوجوه المحددة كاكتشافات خاطئة</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="249"/>
        <source>Select the false detections first.</source>
        <translation>حدد أولاً الاكتشافات الخاطئة.</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="252"/>
        <source>Discard faces</source>
        <translation>استبعاد وجوه</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="252"/>
        <source>Why are these not faces?</source>
        <translation>لماذا ليست هذه وجوهاً؟</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="53"/>
        <source>Small and blurred faces too</source>
        <translation>الوجوه الصغيرة والضبابية أيضًا</translation>
    </message>
    <message>
        <location filename="../pages/faces.py" line="57"/>
        <source>Where no well-sized face is found, look again on an enlarged copy and with a second, slower detector (about 2 s per photo without a face).</source>
        <translation>حيث لا يوجد وجه بحجم كافٍ، يُعاد البحث في نسخة مكبّرة وبكاشف ثانٍ أبطأ (نحو ثانيتين لكل صورة بلا وجه).</translation>
    </message>
</context>
<context>
    <name>FromCaseDialog</name>
    <message>
        <location filename="../pages/hashset_exchange.py" line="115"/>
        <source>Make a hash set from a case</source>
        <translation>إنشاء مجموعة تجزئة من قضية</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="123"/>
        <source>default: the case reference</source>
        <translation>الافتراضي: مرجع القضية</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="125"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="126"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="127"/>
        <source>Kind</source>
        <translation>النوع</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="128"/>
        <source>Source</source>
        <translation>المصدر</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="131"/>
        <source>The set holds the digests of the case&apos;s files whose known-bad alert an analyst acknowledged, with their categories.</source>
        <translation>تضم المجموعة بصمات ملفات القضية التي أقرّ محلل بتنبيهها كملفات ضارة معروفة، مع فئاتها.</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="138"/>
        <source>Make set</source>
        <translation>إنشاء المجموعة</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="154"/>
        <source>Choose a case and give the set a name.</source>
        <translation>اختر قضية وأعطِ المجموعة اسمًا.</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="176"/>
        <source>Hash set {0} made: {1} entries.</source>
        <translation>أُنشئت مجموعة التجزئة {0}: {1} مدخلًا.</translation>
    </message>
</context>
<context>
    <name>HashSetBundleImportDialog</name>
    <message>
        <location filename="../pages/hashset_exchange.py" line="87"/>
        <source>Import a partner&apos;s hash set</source>
        <translation>استيراد مجموعة تجزئة من شريك</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="88"/>
        <source>default: the sender&apos;s name for the set</source>
        <translation>الافتراضي: اسم المجموعة لدى المرسل</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="98"/>
        <source>Hash set {0} from {1}: {2} entries ({3}, TLP:{4}). It is disabled until an analyst enables it.</source>
        <translation>مجموعة التجزئة {0} من {1}: {2} مدخلًا ({3}، TLP:{4}). تبقى معطّلة حتى يفعّلها محلل.</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="102"/>
        <source>The sender allows no onward sharing.</source>
        <translation>لا يسمح المرسل بمشاركتها مع جهات أخرى.</translation>
    </message>
</context>
<context>
    <name>HashSetExportDialog</name>
    <message>
        <location filename="../pages/hashset_exchange.py" line="47"/>
        <source>Share hash set {0} with a partner</source>
        <translation>مشاركة مجموعة التجزئة {0} مع شريك</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="50"/>
        <source>Also write the set as VICS JSON beside it (for tools without Custos)</source>
        <translation>كتابة المجموعة أيضًا بصيغة VICS JSON بجانبها (لأدوات لا تستخدم Custos)</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="71"/>
        <source>Exporting hash set {0}</source>
        <translation>جارٍ تصدير مجموعة التجزئة {0}</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="74"/>
        <source>Hash set bundle written to {0}: {1} entries, TLP:{2}.</source>
        <translation>كُتبت حزمة مجموعة التجزئة في {0}: {1} مدخلًا، TLP:{2}.</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="78"/>
        <source>VICS JSON written to {0}.</source>
        <translation>كُتب ملف VICS JSON في {0}.</translation>
    </message>
</context>
<context>
    <name>HashSets</name>
    <message>
        <location filename="../pages/hashsets.py" line="41"/>
        <source>Known bad</source>
        <translation>ضار معروف</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="42"/>
        <source>Known good</source>
        <translation>سليم معروف</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="43"/>
        <source>Informational</source>
        <translation>للعلم</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="46"/>
        <source>Active</source>
        <translation>نشطة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="47"/>
        <source>Disabled</source>
        <translation>معطلة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="48"/>
        <source>Deleted</source>
        <translation>محذوفة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="52"/>
        <source>NSRL RDS (SQLite)</source>
        <translation>NSRL RDS (SQLite)</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="53"/>
        <source>VICS JSON (Project VIC, CAID)</source>
        <translation>VICS JSON (Project VIC، CAID)</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="54"/>
        <source>Plain list of MD5, SHA-1 or SHA-256</source>
        <translation>قائمة بسيطة من MD5 أو SHA-1 أو SHA-256</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="55"/>
        <source>md5deep / hashdeep</source>
        <translation>md5deep / hashdeep</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="71"/>
        <source>(category {0})</source>
        <translation>(الفئة {0})</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="84"/>
        <source>+{0} more</source>
        <translation>+{0} أخرى</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="99"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="100"/>
        <source>Kind</source>
        <translation>النوع</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="101"/>
        <source>Source</source>
        <translation>المصدر</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="102"/>
        <source>Format</source>
        <translation>الصيغة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="103"/>
        <source>Entries</source>
        <translation>المدخلات</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="105"/>
        <source>State</source>
        <translation>الحالة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="109"/>
        <source>Imported</source>
        <translation>تاريخ الاستيراد</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="110"/>
        <source>By</source>
        <translation>بواسطة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="111"/>
        <source>File</source>
        <translation>الملف</translation>
    </message>
</context>
<context>
    <name>HashSetsPage</name>
    <message>
        <location filename="../pages/hashsets.py" line="205"/>
        <source>Import set...</source>
        <translation>استيراد مجموعة...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="207"/>
        <location filename="../pages/hashsets.py" line="281"/>
        <source>Disable</source>
        <translation>تعطيل</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="209"/>
        <source>Delete...</source>
        <translation>حذف...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="228"/>
        <source>Files of every case are looked up in the active sets when they are ingested; known-bad hits raise alerts, known-good files can be hidden.</source>
        <translation>يُبحث عن ملفات كل قضية في المجموعات النشطة عند إدخالها؛ تطابقات الملفات الضارة المعروفة تطلق تنبيهات، ويمكن إخفاء الملفات السليمة المعروفة.</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="257"/>
        <source>{0} hash sets</source>
        <translation>{0} مجموعات تجزئة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="281"/>
        <source>Enable</source>
        <translation>تفعيل</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="305"/>
        <source>Importing hash set {0}</source>
        <translation>استيراد مجموعة التجزئة {0}</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="314"/>
        <source>Storing {0} of {1} entries</source>
        <translation>تخزين {0} من {1} مدخلات</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="315"/>
        <source>Reading and checking the file...</source>
        <translation>قراءة الملف والتحقق منه...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="318"/>
        <source>Imported {0}: {1} entries ({2}).</source>
        <translation>تم استيراد {0}: {1} مدخلات ({2}).</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="374"/>
        <source>Disable hash set</source>
        <translation>تعطيل مجموعة التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="375"/>
        <source>Disable {0}? New files are no longer looked up in it.</source>
        <translation>تعطيل {0}؟ لن يُبحث فيها عن الملفات الجديدة بعد الآن.</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="378"/>
        <source>Its entries and the hits found so far are kept; enable it to match again.</source>
        <translation>تُحفظ مدخلاتها والتطابقات التي وُجدت حتى الآن؛ فعّلها لتعود المطابقة.</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="388"/>
        <source>Delete hash set</source>
        <translation>حذف مجموعة التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="389"/>
        <source>Delete {0} and its {1} entries?</source>
        <translation>حذف {0} ومدخلاتها البالغة {1}؟</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="393"/>
        <source>No evidence is deleted, and the hits already found keep naming the set. The deletion is recorded in the audit log.</source>
        <translation>لا يُحذف أي دليل، وتبقى التطابقات التي وُجدت تسمّي المجموعة. يُسجَّل الحذف في سجل التدقيق.</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="421"/>
        <source>Hash set {0}: {1}</source>
        <translation>مجموعة التجزئة {0}: {1}</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="213"/>
        <source>Share with a partner...</source>
        <translation>مشاركة مع شريك...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="215"/>
        <source>Import a partner&apos;s set...</source>
        <translation>استيراد مجموعة شريك...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="219"/>
        <source>Make from a case...</source>
        <translation>إنشاء من قضية...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="222"/>
        <source>PDQ near-duplicates of a case...</source>
        <translation>الصور شبه المطابقة (PDQ) في قضية...</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <location filename="../pages/hashsets.py" line="122"/>
        <source>Import a hash set</source>
        <translation>استيراد مجموعة تجزئة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="125"/>
        <source>Browse...</source>
        <translation>استعراض...</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="131"/>
        <source>Found from the file</source>
        <translation>تُستنتج من الملف</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="140"/>
        <source>Known bad: a hit raises an alert. Known good: hidden from the evidence list (operating system and program files). Informational: shown, no alert.</source>
        <translation>ضار معروف: التطابق يطلق تنبيهاً. سليم معروف: يُخفى من قائمة الأدلة (ملفات نظام التشغيل والبرامج). للعلم: يُعرض دون تنبيه.</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="145"/>
        <source>Agency or release (optional)</source>
        <translation>الجهة أو الإصدار (اختياري)</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="149"/>
        <source>File</source>
        <translation>الملف</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="150"/>
        <source>Format</source>
        <translation>الصيغة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="151"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="152"/>
        <source>Kind</source>
        <translation>النوع</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="153"/>
        <source>Source</source>
        <translation>المصدر</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="155"/>
        <source>Import</source>
        <translation>استيراد</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="165"/>
        <source>Choose a hash-set file</source>
        <translation>اختر ملف مجموعة تجزئة</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="174"/>
        <source>Choose a file and give the set a name.</source>
        <translation>اختر ملفاً وأعطِ المجموعة اسماً.</translation>
    </message>
</context>
<context>
    <name>Item</name>
    <message>
        <location filename="../pages/item_view.py" line="48"/>
        <location filename="../pages/item_view.py" line="58"/>
        <source>When</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="49"/>
        <source>Event</source>
        <translation>الحدث</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="50"/>
        <location filename="../pages/item_view.py" line="60"/>
        <source>By</source>
        <translation>بواسطة</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="52"/>
        <source>Details</source>
        <translation>التفاصيل</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="57"/>
        <source>Seq</source>
        <translation>التسلسل</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="59"/>
        <source>Action</source>
        <translation>الإجراء</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="61"/>
        <source>Target</source>
        <translation>الهدف</translation>
    </message>
</context>
<context>
    <name>ItemDialog</name>
    <message>
        <location filename="../pages/item_view.py" line="233"/>
        <source>Item {0}: {1}</source>
        <translation>العنصر {0}: {1}</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="160"/>
        <source>Loading preview...</source>
        <translation>جارٍ تحميل المعاينة...</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="174"/>
        <source>Preview</source>
        <translation>معاينة</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="234"/>
        <source>Record</source>
        <translation>السجل</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="176"/>
        <source>Custody</source>
        <translation>الحيازة</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="157"/>
        <source>Item {0}</source>
        <translation>العنصر {0}</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="180"/>
        <source>Audit</source>
        <translation>سجل التدقيق</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="183"/>
        <source>Export copy...</source>
        <translation>تصدير نسخة...</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="187"/>
        <source>Similar...</source>
        <translation>المشابه...</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="188"/>
        <source>Near-duplicates and other occurrences</source>
        <translation>النسخ شبه المطابقة والظهورات الأخرى</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="200"/>
        <source>Close</source>
        <translation>إغلاق</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="244"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="245"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="246"/>
        <source>Size</source>
        <translation>الحجم</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="247"/>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="248"/>
        <source>SHA-1</source>
        <translation>SHA-1</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="249"/>
        <source>MD5</source>
        <translation>MD5</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="250"/>
        <source>Exhibit number</source>
        <translation>رقم المضبوطات</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="251"/>
        <source>Seized from</source>
        <translation>ضُبط من</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="252"/>
        <source>Seized at (place)</source>
        <translation>مكان الضبط</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="253"/>
        <source>Seized on</source>
        <translation>تاريخ الضبط</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="254"/>
        <source>Seized by</source>
        <translation>ضبطه</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="255"/>
        <source>Description</source>
        <translation>الوصف</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="256"/>
        <source>Original path</source>
        <translation>المسار الأصلي</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="257"/>
        <source>Acquired by</source>
        <translation>أدخله</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="258"/>
        <source>Acquired</source>
        <translation>تاريخ الإدخال</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="298"/>
        <source>Too large to preview here; export a copy to open it.</source>
        <translation>أكبر من أن يُعاين هنا؛ صدّر نسخة لفتحه.</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="320"/>
        <source>Video: the first frame</source>
        <translation>فيديو: الإطار الأول</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="326"/>
        <source>Text</source>
        <translation>نص</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="326"/>
        <source>Binary (hex)</source>
        <translation>ثنائي (سداسي عشري)</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="367"/>
        <source>Export a copy to</source>
        <translation>تصدير نسخة إلى</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="375"/>
        <source>Exporting...</source>
        <translation>جارٍ التصدير...</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="383"/>
        <source>Copy written to {0} (hash checked)</source>
        <translation>كُتبت النسخة في {0} (تم التحقق من البصمة)</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="191"/>
        <source>Add missed face...</source>
        <translation>إضافة وجه فائت...</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="192"/>
        <source>Draw a box around a face the detector missed</source>
        <translation>ارسم إطاراً حول وجه لم يكتشفه الكاشف</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="195"/>
        <source>Redact...</source>
        <translation>تمويه...</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="196"/>
        <source>A copy with faces blurred, as a new item</source>
        <translation>نسخة بوجوه مموهة، كعنصر جديد</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="346"/>
        <source>Face {0} added.</source>
        <translation>أضيف الوجه {0}.</translation>
    </message>
    <message>
        <location filename="../pages/item_view.py" line="356"/>
        <source>Redacted copy: item {0} ({1})</source>
        <translation>النسخة المموهة: العنصر {0} ({1})</translation>
    </message>
</context>
<context>
    <name>JobDialog</name>
    <message>
        <location filename="../jobs.py" line="193"/>
        <source>Starting...</source>
        <translation>جارٍ البدء...</translation>
    </message>
    <message>
        <location filename="../jobs.py" line="237"/>
        <source>Close</source>
        <translation>إغلاق</translation>
    </message>
    <message>
        <location filename="../jobs.py" line="245"/>
        <source>Done.</source>
        <translation>تم.</translation>
    </message>
    <message>
        <location filename="../jobs.py" line="256"/>
        <source>Cancelling: the file in flight is dropped...</source>
        <translation>جارٍ الإلغاء: يُتخلى عن الملف الجاري...</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../login.py" line="86"/>
        <source>Custos — sign in</source>
        <translation>Custos — تسجيل الدخول</translation>
    </message>
    <message>
        <location filename="../login.py" line="93"/>
        <source>Vault: {0}</source>
        <translation>الخزنة: {0}</translation>
    </message>
    <message>
        <location filename="../login.py" line="96"/>
        <source>User</source>
        <translation>المستخدم</translation>
    </message>
    <message>
        <location filename="../login.py" line="97"/>
        <source>Password</source>
        <translation>كلمة المرور</translation>
    </message>
    <message>
        <location filename="../login.py" line="100"/>
        <source>Sign in</source>
        <translation>دخول</translation>
    </message>
    <message>
        <location filename="../login.py" line="102"/>
        <source>Quit</source>
        <translation>خروج</translation>
    </message>
    <message>
        <location filename="../login.py" line="116"/>
        <source>Enter your user name and password.</source>
        <translation>أدخل اسم المستخدم وكلمة المرور.</translation>
    </message>
    <message>
        <location filename="../login.py" line="119"/>
        <source>Opening the vault...</source>
        <translation>جارٍ فتح الخزنة...</translation>
    </message>
    <message>
        <location filename="../login.py" line="132"/>
        <source>Unknown user or wrong password</source>
        <translation>مستخدم غير معروف أو كلمة مرور خاطئة</translation>
    </message>
    <message>
        <location filename="../login.py" line="137"/>
        <source>Too many failed sign-ins for this name: wait {0} s and try again.</source>
        <translation>محاولات دخول فاشلة كثيرة بهذا الاسم: انتظر {0} ث ثم حاول مرة أخرى.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../mainwindow.py" line="292"/>
        <source>{0} new items</source>
        <translation>{0} عناصر جديدة</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="294"/>
        <source>{0} new candidates</source>
        <translation>{0} مرشحين جدد</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="296"/>
        <source>{0} review decisions</source>
        <translation>{0} قرارات مراجعة</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="299"/>
        <source>From other workstations: {0}</source>
        <translation>من محطات عمل أخرى: {0}</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="51"/>
        <source>Custos</source>
        <translation>Custos</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="67"/>
        <source>Your roles give you no area in this vault.</source>
        <translation>لا تمنحك أدوارك أي قسم في هذه الخزنة.</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="105"/>
        <source>Close</source>
        <translation>إغلاق</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="129"/>
        <source>User: {0} ({1})</source>
        <translation>المستخدم: {0} ({1})</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="131"/>
        <source>Vault: {0}</source>
        <translation>الخزنة: {0}</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="140"/>
        <source>never</source>
        <translation>أبدًا</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="141"/>
        <source>Verified at: {0}</source>
        <translation>آخر تحقق: {0}</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="146"/>
        <source>&amp;File</source>
        <translation>&amp;ملف</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="147"/>
        <source>&amp;Lock</source>
        <translation>&amp;قفل</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="150"/>
        <source>&amp;Quit</source>
        <translation>&amp;خروج</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="155"/>
        <source>Change my &amp;password...</source>
        <translation>تغيير &amp;كلمة المرور الخاصة بي...</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="161"/>
        <source>&amp;View</source>
        <translation>&amp;عرض</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="162"/>
        <source>&amp;Refresh</source>
        <translation>&amp;تحديث</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="166"/>
        <source>&amp;Language</source>
        <translation>&amp;اللغة</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="175"/>
        <source>&amp;Theme</source>
        <translation>ال&amp;سمة</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="180"/>
        <source>As the &amp;system</source>
        <translation>مثل ال&amp;نظام</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="181"/>
        <source>&amp;Light</source>
        <translation>&amp;فاتحة</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="182"/>
        <source>&amp;Dark</source>
        <translation>&amp;داكنة</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="192"/>
        <source>&amp;Help</source>
        <translation>م&amp;ساعدة</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="193"/>
        <source>&amp;Keyboard shortcuts</source>
        <translation>اختصارات &amp;لوحة المفاتيح</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="196"/>
        <source>&amp;About Custos</source>
        <translation>&amp;حول Custos</translation>
    </message>
    <message>
        <location filename="../mainwindow.py" line="249"/>
        <source>Your password is changed.</source>
        <translation>تم تغيير كلمة المرور الخاصة بك.</translation>
    </message>
</context>
<context>
    <name>Map</name>
    <message>
        <location filename="../pages/map.py" line="166"/>
        <source>Stop</source>
        <translation>المحطة</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="172"/>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="174"/>
        <source>Source</source>
        <translation>المصدر</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="176"/>
        <source>Kind</source>
        <translation>النوع</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="177"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="179"/>
        <source>Position</source>
        <translation>الموقع</translation>
    </message>
</context>
<context>
    <name>MapPage</name>
    <message>
        <location filename="../pages/map.py" line="130"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="130"/>
        <source>Subject</source>
        <translation>الشخص</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="147"/>
        <source>Drag to move, wheel or + and − to zoom. A bubble counts the items of its place: click it to zoom in. Click a dot to open its item.</source>
        <translation>اسحب لتحريك الخريطة، واستخدم العجلة أو + و − للتكبير والتصغير. تعدّ الفقاعة عناصر مكانها: انقر عليها للتكبير. انقر على نقطة لفتح عنصرها.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="221"/>
        <source>No basemap: {0}</source>
        <translation>لا توجد خريطة أساس: {0}</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="226"/>
        <source>Track of {0}: {1} sightings in time order.</source>
        <translation>مسار {0}: {1} مشاهدة بالترتيب الزمني.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="232"/>
        <source>{0} sightings have no time and are not on the track.</source>
        <translation>{0} مشاهدة بلا وقت، فهي ليست على المسار.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="238"/>
        <source>{0} items have no position.</source>
        <translation>{0} عنصر بلا موقع.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="243"/>
        <source>{0} items have a position that cannot be right and are not shown.</source>
        <translation>{0} عنصر موقعه المسجَّل لا يمكن أن يكون صحيحًا، فلا يُعرض.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="264"/>
        <source>No case chosen.</source>
        <translation>لم يتم اختيار قضية.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="271"/>
        <source>{0} items at one place.</source>
        <translation>{0} عنصر في مكان واحد.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="274"/>
        <source>{0} items in view of {1} on the map.</source>
        <translation>{0} عنصر ظاهر من {1} على الخريطة.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="282"/>
        <source>The first {0} are listed.</source>
        <translation>القائمة تعرض أول {0}.</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="287"/>
        <source>no time</source>
        <translation>بلا وقت</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="288"/>
        <source>zone not recorded</source>
        <translation>المنطقة غير مسجَّلة</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="300"/>
        <source>{0}: {1}, {2}</source>
        <translation>{0}: {1}، {2}</translation>
    </message>
    <message>
        <location filename="../pages/map.py" line="305"/>
        <source>{0} items; the earliest:</source>
        <translation>{0} عنصر؛ أقدمها:</translation>
    </message>
</context>
<context>
    <name>MapView</name>
    <message>
        <location filename="../mapview.py" line="519"/>
        <source>{0} items</source>
        <translation>{0} عنصر</translation>
    </message>
</context>
<context>
    <name>NewWatchlistDialog</name>
    <message>
        <location filename="../pages/watchlists.py" line="279"/>
        <source>New watchlist</source>
        <translation>قائمة مراقبة جديدة</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="282"/>
        <source>A confirmation needs a second, different analyst</source>
        <translation>يحتاج التأكيد إلى محلل ثانٍ مختلف</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="286"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="287"/>
        <source>Source agency</source>
        <translation>الجهة المصدر</translation>
    </message>
</context>
<context>
    <name>OverviewPage</name>
    <message>
        <location filename="../pages/overview.py" line="46"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="55"/>
        <source>Items</source>
        <translation>العناصر</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="56"/>
        <source>By kind</source>
        <translation>حسب النوع</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="57"/>
        <source>Faces found</source>
        <translation>الوجوه المكتشفة</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="58"/>
        <source>Waiting for review</source>
        <translation>بانتظار المراجعة</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="59"/>
        <source>Hash-set alerts</source>
        <translation>تنبيهات مجموعات البصمات</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="60"/>
        <source>Known-file hits</source>
        <translation>تطابقات الملفات المعروفة</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="61"/>
        <source>Partners</source>
        <translation>الشركاء</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="62"/>
        <source>Agreements</source>
        <translation>الاتفاقيات</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="63"/>
        <source>Last verified</source>
        <translation>آخر تحقق</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="64"/>
        <source>Since you last looked</source>
        <translation>منذ آخر اطلاع لك</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="77"/>
        <source>Show evidence</source>
        <translation>عرض الأدلة</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="79"/>
        <source>Open review</source>
        <translation>فتح المراجعة</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="82"/>
        <source>Show alerts</source>
        <translation>عرض التنبيهات</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="150"/>
        <source>No case chosen.</source>
        <translation>لم يتم اختيار قضية.</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="156"/>
        <source>{0} ({1})</source>
        <translation>{0} ({1})</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="158"/>
        <source>{0} photos, {1} videos, {2} documents, {3} other</source>
        <translation>{0} صور، {1} مقاطع فيديو، {2} مستندات، {3} أخرى</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="166"/>
        <source>{0} in {1} analysed items</source>
        <translation>{0} في {1} عناصر محللة</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="168"/>
        <source>{0} candidates</source>
        <translation>{0} مرشحين</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="170"/>
        <source>{0} known-bad hits not acknowledged</source>
        <translation>{0} تطابقات ضارة معروفة غير مُقرّ بها</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="172"/>
        <location filename="../pages/overview.py" line="185"/>
        <location filename="../pages/overview.py" line="186"/>
        <location filename="../pages/overview.py" line="197"/>
        <source>None</source>
        <translation>لا شيء</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="177"/>
        <source>known-bad</source>
        <translation>ضار معروف</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="178"/>
        <source>known-good</source>
        <translation>سليم معروف</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="179"/>
        <source>information</source>
        <translation>معلومات</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="182"/>
        <source>{0} {1}</source>
        <translation>{0} {1}</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="188"/>
        <source>{0}: {1} {2}, until {3}</source>
        <translation>{0}: {1} {2}، حتى {3}</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="194"/>
        <source>(not in force)</source>
        <translation>(غير سارية)</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="200"/>
        <source>{0}, {1} problems</source>
        <translation>{0}، {1} مشكلات</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="205"/>
        <source>Never</source>
        <translation>أبدًا</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="207"/>
        <source>This is your first look at this case.</source>
        <translation>هذه أول مرة تطّلع فيها على هذه القضية.</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="209"/>
        <source>Nothing changed since {0}.</source>
        <translation>لم يتغير شيء منذ {0}.</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="212"/>
        <source>{0}: {1}</source>
        <translation>{0}: {1}</translation>
    </message>
    <message>
        <location filename="../pages/overview.py" line="215"/>
        <source>{0} audit entries since {1}:</source>
        <translation>{0} قيود تدقيق منذ {1}:</translation>
    </message>
</context>
<context>
    <name>Page</name>
    <message>
        <location filename="../pages/__init__.py" line="161"/>
        <source>Custos</source>
        <translation>Custos</translation>
    </message>
</context>
<context>
    <name>Partners</name>
    <message>
        <location filename="../pages/partners.py" line="30"/>
        <source>active</source>
        <translation>نشط</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="31"/>
        <source>retired</source>
        <translation>متقاعد</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="32"/>
        <source>revoked</source>
        <translation>ملغى</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="46"/>
        <source>Agency</source>
        <translation>الجهة</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="47"/>
        <source>Country</source>
        <translation>الدولة</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="48"/>
        <source>Contact</source>
        <translation>جهة الاتصال</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="50"/>
        <source>Active key fingerprint</source>
        <translation>بصمة المفتاح النشط</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="52"/>
        <source>Keys</source>
        <translation>المفاتيح</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="55"/>
        <source>Fingerprint</source>
        <translation>البصمة</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="56"/>
        <source>Status</source>
        <translation>الحالة</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="57"/>
        <source>Added</source>
        <translation>أُضيف</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="58"/>
        <source>Changed</source>
        <translation>تغيّر</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="61"/>
        <source>Purpose</source>
        <translation>الغرض</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="62"/>
        <source>Reference</source>
        <translation>المرجع</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="63"/>
        <source>Labels</source>
        <translation>التصنيفات</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="65"/>
        <source>Crime areas</source>
        <translation>مجالات الجريمة</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="66"/>
        <source>all</source>
        <translation>الكل</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="69"/>
        <source>Onward sharing</source>
        <translation>المشاركة اللاحقة</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="74"/>
        <source>Redacted copies only</source>
        <translation>نسخ مموهة فقط</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="77"/>
        <source>Valid from</source>
        <translation>صالح من</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="78"/>
        <source>Valid until</source>
        <translation>صالح حتى</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="80"/>
        <source>In force</source>
        <translation>سارية</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="85"/>
        <source>yes</source>
        <translation>نعم</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="86"/>
        <source>no</source>
        <translation>لا</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="87"/>
        <source>allowed</source>
        <translation>مسموح</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="88"/>
        <source>not allowed</source>
        <translation>غير مسموح</translation>
    </message>
</context>
<context>
    <name>PartnersPage</name>
    <message>
        <location filename="../pages/partners.py" line="136"/>
        <source>Add partner from key card...</source>
        <translation>إضافة شريك من بطاقة مفتاح...</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="138"/>
        <location filename="../pages/partners.py" line="202"/>
        <source>Our agency...</source>
        <translation>جهتنا...</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="170"/>
        <source>Keys (compare fingerprints with the partner out of band)</source>
        <translation>المفاتيح (قارن البصمات مع الشريك عبر قناة أخرى)</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="173"/>
        <source>Copy fingerprint</source>
        <translation>نسخ البصمة</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="178"/>
        <source>Agreements</source>
        <translation>الاتفاقيات</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="212"/>
        <source>Our agency is not set yet: partners need its name on our key card.</source>
        <translation>لم تُعيَّن جهتنا بعد: يحتاج الشركاء إلى اسمها على بطاقة مفتاحنا.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="214"/>
        <source>Set our agency...</source>
        <translation>تعيين جهتنا...</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="204"/>
        <source>We are {0} ({1}). Our signing key: {2}</source>
        <translation>نحن {0} ({1}). مفتاح التوقيع لدينا: {2}</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="305"/>
        <source>Partner key card</source>
        <translation>بطاقة مفتاح الشريك</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="364"/>
        <source>Partner {0} added: compare the fingerprint.</source>
        <translation>أُضيف الشريك {0}: قارن البصمة.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="166"/>
        <source>Add agreement...</source>
        <translation>إضافة اتفاقية...</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="140"/>
        <source>Save our key card...</source>
        <translation>حفظ بطاقة مفتاحنا...</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="274"/>
        <source>Last head seen: none (no bundle of theirs carried one)</source>
        <translation>آخر رأس سجل رأيناه: لا يوجد (لم تحمل أي حزمة منهم رأساً)</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="278"/>
        <source>Last head seen: {0} from bundle {1} on {2}</source>
        <translation>آخر رأس سجل رأيناه: {0} من الحزمة {1} في {2}</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="287"/>
        <source>Warning: their audit head went backwards ({0} in bundle {1} on {2}): their vault may have been restored or rolled back. Check with them before relying on it.</source>
        <translation>تحذير: عاد رأس سجل التدقيق لديهم إلى الوراء ({0} في الحزمة {1} في {2}): ربما استُعيدت خزنتهم من نسخة احتياطية أو أُرجعت إلى حالة سابقة. تحقّق معهم قبل الاعتماد عليها.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="336"/>
        <source>Add partner {0}</source>
        <translation>إضافة الشريك {0}</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="337"/>
        <source>Add {0} ({1}) as a partner?</source>
        <translation>إضافة {0} ({1}) كشريك؟</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="342"/>
        <source>Fingerprint: {0}

Compare it with {1} out of band (by phone or in person) before you trust this card.</source>
        <translation>البصمة: {0}

قارنها مع {1} عبر قناة أخرى (بالهاتف أو شخصيًا) قبل أن تثق بهذه البطاقة.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="346"/>
        <source>I compared it: add</source>
        <translation>قارنتها: أضف</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="377"/>
        <source>Our agency is now {0}.</source>
        <translation>جهتنا الآن {0}.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="395"/>
        <source>Fingerprint copied.</source>
        <translation>نُسخت البصمة.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="435"/>
        <source>Key {0} of {1} revoked.</source>
        <translation>أُلغي المفتاح {0} الخاص بـ {1}.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="416"/>
        <source>Revoke key</source>
        <translation>إلغاء المفتاح</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="418"/>
        <source>Revoke key {0} of {1}? Every bundle signed with it will be refused from now on, old or new. This cannot be undone.</source>
        <translation>إلغاء المفتاح {0} الخاص بـ {1}؟ ستُرفض من الآن كل حزمة موقّعة به، قديمة أو جديدة. لا يمكن التراجع عن ذلك.</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="164"/>
        <source>Revoke key...</source>
        <translation>إلغاء المفتاح...</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="346"/>
        <source>Rotate key</source>
        <translation>تدوير المفتاح</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="330"/>
        <source>Rotate the key of {0}</source>
        <translation>تدوير مفتاح {0}</translation>
    </message>
    <message>
        <location filename="../pages/partners.py" line="332"/>
        <source>{0} is already a partner. This card carries a new key; the current one will be retired.</source>
        <translation>{0} شريك بالفعل. تحمل هذه البطاقة مفتاحًا جديدًا؛ سيُحال المفتاح الحالي إلى التقاعد.</translation>
    </message>
</context>
<context>
    <name>Password</name>
    <message>
        <location filename="../password.py" line="32"/>
        <source>The vault key will be rotated: every stored file&apos;s key is wrapped again, which takes a while. It needs the agency vault to itself: Custos must first be closed on every other workstation and in other windows here (it is refused while one is open). A sign-in during the rotation waits until it is done; the others then sign in again with the new key.</source>
        <translation>سيُدوَّر مفتاح الخزنة: يُعاد تغليف مفتاح كل ملف مخزّن، وهذا يستغرق بعض الوقت. ويتطلب أن تكون خزنة الوكالة غير مستخدمة من غيره: يجب أولاً إغلاق Custos على كل محطة عمل أخرى وفي النوافذ الأخرى هنا (يُرفض التدوير ما دامت إحداها مفتوحة). وأي تسجيل دخول أثناء التدوير ينتظر حتى ينتهي؛ ثم يسجّل الآخرون دخولهم من جديد بالمفتاح الجديد.</translation>
    </message>
    <message>
        <location filename="../password.py" line="40"/>
        <source>The vault key will be rotated: every stored file&apos;s key is wrapped again, which takes a while. It needs the vault to itself: close other Custos windows and processes first.</source>
        <translation>سيُدوَّر مفتاح الخزنة: يُعاد تغليف مفتاح كل ملف مخزّن، وهذا يستغرق بعض الوقت. ويتطلب أن تكون الخزنة غير مستخدمة من غيره: أغلق نوافذ وعمليات Custos الأخرى أولاً.</translation>
    </message>
    <message>
        <location filename="../password.py" line="48"/>
        <source>Done: the vault key was rotated ({0} stored files). Partners need our new key card.</source>
        <translation>تم: دُوِّر مفتاح الخزنة ({0} ملف مخزّن). يحتاج الشركاء إلى بطاقة مفتاحنا الجديدة.</translation>
    </message>
    <message>
        <location filename="../password.py" line="125"/>
        <source>Changing the password of {0}</source>
        <translation>تغيير كلمة مرور {0}</translation>
    </message>
</context>
<context>
    <name>PasswordDialog</name>
    <message>
        <location filename="../password.py" line="62"/>
        <source>New password for {0}</source>
        <translation>كلمة مرور جديدة لـ {0}</translation>
    </message>
    <message>
        <location filename="../password.py" line="68"/>
        <source>New password</source>
        <translation>كلمة المرور الجديدة</translation>
    </message>
    <message>
        <location filename="../password.py" line="69"/>
        <source>Password again</source>
        <translation>كلمة المرور مرة أخرى</translation>
    </message>
    <message>
        <location filename="../password.py" line="89"/>
        <source>The two passwords differ.</source>
        <translation>كلمتا المرور مختلفتان.</translation>
    </message>
</context>
<context>
    <name>PdqSets</name>
    <message>
        <location filename="../pages/hashset_exchange.py" line="186"/>
        <source>Item</source>
        <translation>العنصر</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="187"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="188"/>
        <source>Kind</source>
        <translation>النوع</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="189"/>
        <source>Hash set</source>
        <translation>مجموعة التجزئة</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="191"/>
        <source>Category</source>
        <translation>الفئة</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="196"/>
        <source>Distance</source>
        <translation>المسافة</translation>
    </message>
    <message>
        <location filename="../pages/hashset_exchange.py" line="199"/>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
</context>
<context>
    <name>Placeholder</name>
    <message>
        <location filename="../pages/__init__.py" line="246"/>
        <source>This area is not available in this version yet.</source>
        <translation>هذا القسم غير متاح في هذا الإصدار بعد.</translation>
    </message>
</context>
<context>
    <name>ReasonDialog</name>
    <message>
        <location filename="../pages/review.py" line="76"/>
        <source>{0} candidate {1}</source>
        <translation>{0} المرشح {1}</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="78"/>
        <source>What you compared and what decided it</source>
        <translation>ما الذي قارنته وما الذي حسم القرار</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="88"/>
        <source>Reason (recorded in the audit log)</source>
        <translation>السبب (يُسجَّل في سجل التدقيق)</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="98"/>
        <source>A reason is required.</source>
        <translation>السبب مطلوب.</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="462"/>
        <source>Acknowledge alert</source>
        <translation>الإقرار بالتنبيه</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="464"/>
        <source>e.g. reviewed, categorised in the case report</source>
        <translation>مثلاً: رُوجع، وصُنّف في تقرير القضية</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="466"/>
        <source>Acknowledge</source>
        <translation>إقرار</translation>
    </message>
    <message>
        <location filename="../pages/hashsets.py" line="474"/>
        <source>Reason</source>
        <translation>السبب</translation>
    </message>
</context>
<context>
    <name>RecoveryDialog</name>
    <message>
        <location filename="../login.py" line="227"/>
        <source>Custos — recovery key</source>
        <translation>Custos — مفتاح الاسترداد</translation>
    </message>
    <message>
        <location filename="../login.py" line="230"/>
        <source>This is the vault&apos;s recovery key. It is shown only this once and is not stored on this computer. Hand it to your agency&apos;s key escrow now (print it or save it to removable media kept under seal). Without it, a vault whose administrators have all lost their passwords cannot be opened again.</source>
        <translation>هذا مفتاح استرداد الخزنة. يُعرض هذه المرة فقط ولا يُحفظ على هذا الحاسوب. سلّمه الآن إلى جهة حفظ المفاتيح في جهازك (اطبعه أو احفظه على وسيط قابل للإزالة يُحفظ مختومًا). بدونه لا يمكن فتح خزنة فقد جميع مسؤوليها كلمات مرورهم.</translation>
    </message>
    <message>
        <location filename="../login.py" line="242"/>
        <source>Save to file...</source>
        <translation>حفظ في ملف...</translation>
    </message>
    <message>
        <location filename="../login.py" line="245"/>
        <source>I have stored the recovery key</source>
        <translation>لقد حفظت مفتاح الاسترداد</translation>
    </message>
    <message>
        <location filename="../login.py" line="248"/>
        <source>Continue</source>
        <translation>متابعة</translation>
    </message>
    <message>
        <location filename="../login.py" line="264"/>
        <source>Save the recovery key</source>
        <translation>حفظ مفتاح الاسترداد</translation>
    </message>
    <message>
        <location filename="../login.py" line="275"/>
        <source>Cannot save: {0}</source>
        <translation>تعذّر الحفظ: {0}</translation>
    </message>
    <message>
        <location filename="../login.py" line="277"/>
        <source>Saved to {0}</source>
        <translation>حُفظ في {0}</translation>
    </message>
</context>
<context>
    <name>RedactDialog</name>
    <message>
        <location filename="../pages/curate.py" line="184"/>
        <source>Redact {0}</source>
        <translation>تمويه {0}</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="187"/>
        <source>Loading the faces...</source>
        <translation>جارٍ تحميل الوجوه...</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="193"/>
        <source>Redact</source>
        <translation>تمويه</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="198"/>
        <source>Faces to keep visible (all others are blurred):</source>
        <translation>الوجوه التي تبقى ظاهرة (تموه كل الوجوه الأخرى):</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="216"/>
        <source>{0:.1f}-{1:.1f} s</source>
        <translation>{0:.1f}-{1:.1f} ث</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="218"/>
        <source>box {0}</source>
        <translation>الإطار {0}</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="220"/>
        <source>Face {0} ({1})</source>
        <translation>الوجه {0} ({1})</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="226"/>
        <source>{0} faces found; the copy is a new item, the original never changes.</source>
        <translation>وُجد {0} من الوجوه؛ النسخة عنصر جديد، والأصل لا يتغير أبداً.</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="249"/>
        <source>Redacting {0}</source>
        <translation>جارٍ تمويه {0}</translation>
    </message>
    <message>
        <location filename="../pages/curate.py" line="257"/>
        <source>Item {0} ({1}): {2} faces blurred, {3} kept.</source>
        <translation>العنصر {0} ({1}): مُوّه {2} من الوجوه، وأُبقي {3}.</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <location filename="../pages/admin.py" line="169"/>
        <source>Verify report</source>
        <translation>تقرير التحقق</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="172"/>
        <source>Verify was cancelled; nothing is concluded.</source>
        <translation>أُلغي التحقق؛ لا يمكن استنتاج شيء.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="174"/>
        <source>The vault is intact.</source>
        <translation>الخزنة سليمة.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="176"/>
        <source>{0} problem(s) found.</source>
        <translation>وُجدت {0} مشكلة.</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="178"/>
        <source>{0} items in {1} stored files, {2} audit entries checked at {3}.</source>
        <translation>فُحص {0} عنصر في {1} ملف مخزّن و{2} قيد تدقيق في {3}.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="253"/>
        <source>Court report of {0}</source>
        <translation>تقرير المحكمة للقضية {0}</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="255"/>
        <source>English</source>
        <translation>الإنجليزية</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="256"/>
        <source>Arabic</source>
        <translation>العربية</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="260"/>
        <source>Only the {0} selected item(s)</source>
        <translation>العناصر المختارة فقط ({0})</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="266"/>
        <source>The PDF is signed with this workstation&apos;s key (FILE.pdf.sig, FILE.pem) and has an HTML twin (FILE.html). The report is recorded in the custody of every item it covers.</source>
        <translation>يُوقَّع ملف PDF بمفتاح محطة العمل هذه (FILE.pdf.sig و FILE.pem) وله نسخة مقابلة بصيغة HTML (FILE.html). ويُسجَّل التقرير في سلسلة حيازة كل عنصر يشمله.</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="273"/>
        <source>Language</source>
        <translation>اللغة</translation>
    </message>
    <message>
        <location filename="../pages/evidence.py" line="276"/>
        <source>Save as...</source>
        <translation>حفظ باسم...</translation>
    </message>
</context>
<context>
    <name>Review</name>
    <message>
        <location filename="../pages/review.py" line="37"/>
        <source>pending review</source>
        <translation>بانتظار المراجعة</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="38"/>
        <source>confirmed</source>
        <translation>مؤكَّد</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="39"/>
        <source>rejected</source>
        <translation>مرفوض</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="40"/>
        <source>inconclusive</source>
        <translation>غير حاسم</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="41"/>
        <source>awaiting second review</source>
        <translation>بانتظار مراجعة ثانية</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="44"/>
        <source>Confirm</source>
        <translation>تأكيد</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="45"/>
        <source>Reject</source>
        <translation>رفض</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="46"/>
        <source>Inconclusive</source>
        <translation>غير حاسم</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="57"/>
        <source>Candidate</source>
        <translation>المرشح</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="59"/>
        <source>Face</source>
        <translation>الوجه</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="60"/>
        <source>Watchlist</source>
        <translation>قائمة المراقبة</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="61"/>
        <source>Subject</source>
        <translation>الشخص</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="62"/>
        <source>Rank</source>
        <translation>الترتيب</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="63"/>
        <source>Distance</source>
        <translation>المسافة</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="64"/>
        <source>Mode</source>
        <translation>الوضع</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="65"/>
        <source>Status</source>
        <translation>الحالة</translation>
    </message>
</context>
<context>
    <name>ReviewPage</name>
    <message>
        <location filename="../pages/review.py" line="118"/>
        <source>All</source>
        <translation>الكل</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="130"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="132"/>
        <source>Show</source>
        <translation>عرض</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="146"/>
        <source>No probe crop</source>
        <translation>لا توجد صورة للوجه المفحوص</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="147"/>
        <source>No reference photo</source>
        <translation>لا توجد صورة مرجعية</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="149"/>
        <source>Probe (case face)</source>
        <translation>الوجه المفحوص (من القضية)</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="150"/>
        <source>Reference (watchlist)</source>
        <translation>المرجع (قائمة المراقبة)</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="156"/>
        <source>Distance</source>
        <translation>المسافة</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="157"/>
        <source>Threshold used</source>
        <translation>العتبة المستخدمة</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="158"/>
        <source>Search mode</source>
        <translation>وضع البحث</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="161"/>
        <source>Subject</source>
        <translation>الشخص</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="162"/>
        <source>Listed for</source>
        <translation>سبب الإدراج</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="163"/>
        <source>Issuing agency</source>
        <translation>الجهة المُصدِرة</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="164"/>
        <source>Label</source>
        <translation>التصنيف</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="165"/>
        <source>Listing review date</source>
        <translation>تاريخ مراجعة الإدراج</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="166"/>
        <source>Listing expires</source>
        <translation>انتهاء الإدراج</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="167"/>
        <source>Decisions</source>
        <translation>القرارات</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="184"/>
        <source>J / K: next / previous candidate</source>
        <translation>J / K: المرشح التالي / السابق</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="293"/>
        <source>none yet</source>
        <translation>لا شيء بعد</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="319"/>
        <source>no expiry</source>
        <translation>بلا انتهاء</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="362"/>
        <source>Candidate {0}: {1}</source>
        <translation>المرشح {0}: {1}</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="159"/>
        <source>Case face</source>
        <translation>وجه القضية</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="160"/>
        <source>Reference face</source>
        <translation>الوجه المرجعي</translation>
    </message>
    <message>
        <location filename="../pages/review.py" line="311"/>
        <source>a probe photo (not stored)</source>
        <translation>صورة بحث (غير محفوظة)</translation>
    </message>
</context>
<context>
    <name>Search</name>
    <message>
        <location filename="../pages/search.py" line="30"/>
        <source>pending review</source>
        <translation>بانتظار المراجعة</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="33"/>
        <source>Face</source>
        <translation>الوجه</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="34"/>
        <source>Watchlist</source>
        <translation>قائمة المراقبة</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="35"/>
        <source>Subject</source>
        <translation>الشخص</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="36"/>
        <source>Rank</source>
        <translation>الترتيب</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="37"/>
        <source>Distance</source>
        <translation>المسافة</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="38"/>
        <source>Threshold</source>
        <translation>العتبة</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="39"/>
        <source>Label</source>
        <translation>التصنيف</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="41"/>
        <source>Status</source>
        <translation>الحالة</translation>
    </message>
</context>
<context>
    <name>SearchDialog</name>
    <message>
        <location filename="../pages/search.py" line="59"/>
        <source>Search the faces of {0}</source>
        <translation>البحث في وجوه {0}</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="118"/>
        <source>{0} ({1} subjects)</source>
        <translation>{0} ({1} شخص)</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="63"/>
        <source>Investigative: the closest candidates (top k)</source>
        <translation>تحقيقي: أقرب المرشحين (أعلى k)</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="64"/>
        <source>Alert: only candidates within the watchlist threshold</source>
        <translation>تنبيه: المرشحون ضمن عتبة قائمة المراقبة فقط</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="73"/>
        <source>Mode</source>
        <translation>الوضع</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="77"/>
        <source>Top</source>
        <translation>الأعلى</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="82"/>
        <source>Watchlists</source>
        <translation>قوائم المراقبة</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="84"/>
        <source>Search</source>
        <translation>بحث</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="95"/>
        <source>A candidate is not an identification. Every candidate stays pending until an analyst reviews it on the Review page.</source>
        <translation>المرشح ليس تعرّفاً على الهوية. يبقى كل مرشح معلّقاً حتى يراجعه محلل في صفحة المراجعة.</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="129"/>
        <source>Choose at least one watchlist.</source>
        <translation>اختر قائمة مراقبة واحدة على الأقل.</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="132"/>
        <source>Searching...</source>
        <translation>جارٍ البحث...</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="135"/>
        <source>Searching {0}</source>
        <translation>جارٍ البحث في {0}</translation>
    </message>
    <message>
        <location filename="../pages/search.py" line="150"/>
        <source>{0} faces searched: {1} new candidates, all pending review ({2} found again were already in the queue).</source>
        <translation>تم البحث في {0} وجهًا: {1} مرشحًا جديدًا، جميعها بانتظار المراجعة ({2} عُثر عليها مجددًا وكانت في قائمة الانتظار).</translation>
    </message>
</context>
<context>
    <name>SetupDialog</name>
    <message>
        <location filename="../login.py" line="164"/>
        <source>Custos — create a vault</source>
        <translation>Custos — إنشاء خزنة</translation>
    </message>
    <message>
        <location filename="../login.py" line="167"/>
        <source>No vault was found at {0}. Create it now: you become its first administrator.</source>
        <translation>لم يُعثر على خزنة في {0}. أنشئها الآن: ستصبح مسؤولها الأول.</translation>
    </message>
    <message>
        <location filename="../login.py" line="178"/>
        <source>Administrator name</source>
        <translation>اسم المسؤول</translation>
    </message>
    <message>
        <location filename="../login.py" line="179"/>
        <source>Password</source>
        <translation>كلمة المرور</translation>
    </message>
    <message>
        <location filename="../login.py" line="180"/>
        <source>Password again</source>
        <translation>كلمة المرور مرة أخرى</translation>
    </message>
    <message>
        <location filename="../login.py" line="184"/>
        <source>Create vault</source>
        <translation>إنشاء الخزنة</translation>
    </message>
    <message>
        <location filename="../login.py" line="186"/>
        <source>Quit</source>
        <translation>خروج</translation>
    </message>
    <message>
        <location filename="../login.py" line="199"/>
        <source>Enter the administrator&apos;s name.</source>
        <translation>أدخل اسم المسؤول.</translation>
    </message>
    <message>
        <location filename="../login.py" line="202"/>
        <source>The two passwords differ.</source>
        <translation>كلمتا المرور مختلفتان.</translation>
    </message>
    <message>
        <location filename="../login.py" line="205"/>
        <source>Creating the vault...</source>
        <translation>جارٍ إنشاء الخزنة...</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <location filename="../about.py" line="123"/>
        <source>Keyboard shortcuts</source>
        <translation>اختصارات لوحة المفاتيح</translation>
    </message>
</context>
<context>
    <name>Similar</name>
    <message>
        <location filename="../pages/similar.py" line="34"/>
        <source>Same content (SHA-256)</source>
        <translation>المحتوى نفسه (SHA-256)</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="35"/>
        <source>Near-duplicate (PDQ)</source>
        <translation>شبه مطابق (PDQ)</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="36"/>
        <source>Same face</source>
        <translation>الوجه نفسه</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="48"/>
        <source>{0} bits</source>
        <translation>{0} بت</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="56"/>
        <source>Found as</source>
        <translation>وُجد بوصفه</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="60"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="61"/>
        <source>Item</source>
        <translation>العنصر</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="62"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="64"/>
        <source>Distance</source>
        <translation>المسافة</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="71"/>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
</context>
<context>
    <name>SimilarDialog</name>
    <message>
        <location filename="../pages/similar.py" line="86"/>
        <source>Similar to item {0}</source>
        <translation>ما يشبه العنصر {0}</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="88"/>
        <source>Across all cases</source>
        <translation>في كل القضايا</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="101"/>
        <location filename="../pages/similar.py" line="136"/>
        <source>Looking...</source>
        <translation>جارٍ البحث...</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="106"/>
        <source>Compute PDQ for this case</source>
        <translation>حساب PDQ لهذه القضية</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="108"/>
        <source>Perceptual hashes of the case&apos;s photos and videos, for near-duplicates</source>
        <translation>التجزئات الإدراكية لصور القضية ومقاطع الفيديو فيها، لإيجاد النسخ شبه المطابقة</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="112"/>
        <source>View item</source>
        <translation>عرض العنصر</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="114"/>
        <source>Close</source>
        <translation>إغلاق</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="152"/>
        <source>Similar to item {0}: {1}</source>
        <translation>ما يشبه العنصر {0}: {1}</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="156"/>
        <source>in every case you may read</source>
        <translation>في كل قضية يحق لك قراءتها</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="158"/>
        <source>in case {0}</source>
        <translation>في القضية {0}</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="160"/>
        <source>{0} found {1} (PDQ within {2} bits).</source>
        <translation>وُجد {0} {1} (PDQ ضمن {2} بت).</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="164"/>
        <source>This item has no PDQ hash: near-duplicates were not searched.</source>
        <translation>لا يملك هذا العنصر تجزئة PDQ: لم يُبحث عن النسخ شبه المطابقة.</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="167"/>
        <source>Its PDQ hash is of low quality (a flat picture): near-duplicates were not searched.</source>
        <translation>تجزئة PDQ الخاصة به منخفضة الجودة (صورة مسطحة): لم يُبحث عن النسخ شبه المطابقة.</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="202"/>
        <source>Perceptual hashes of {0}</source>
        <translation>التجزئات الإدراكية لـ {0}</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="211"/>
        <source>{0} items hashed ({1} PDQ hashes), {2} failed.</source>
        <translation>جُزّئ {0} عناصر ({1} تجزئات PDQ)، وفشل {2}.</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="215"/>
        <source>Cancelled: </source>
        <translation>أُلغي: </translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="93"/>
        <source> bits</source>
        <translation> بت</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="94"/>
        <source>Near-duplicates within this many bits of 256</source>
        <translation>الصور شبه المطابقة ضمن هذا العدد من البتات من 256</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="118"/>
        <source>PDQ distance</source>
        <translation>مسافة PDQ</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="182"/>
        <source>Near-duplicate of an entry of {0} set {1}</source>
        <translation>شبه مطابق لمدخل في مجموعة {0} {1}</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="186"/>
        <source>(category {0})</source>
        <translation>(الفئة {0})</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="187"/>
        <source>{0} bits</source>
        <translation>{0} بت</translation>
    </message>
    <message>
        <location filename="../pages/similar.py" line="189"/>
        <source>at {0:.1f} s</source>
        <translation>عند {0:.1f} ث</translation>
    </message>
</context>
<context>
    <name>Table</name>
    <message>
        <location filename="../tablemodel.py" line="432"/>
        <source>&amp;Copy</source>
        <translation>&amp;نسخ</translation>
    </message>
</context>
<context>
    <name>TimeAxis</name>
    <message>
        <location filename="../timeaxis.py" line="301"/>
        <source>{0} items, {1} – {2}</source>
        <translation>{0} عناصر، {1} – {2}</translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <location filename="../pages/timeline.py" line="42"/>
        <source>EXIF</source>
        <translation>بيانات EXIF</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="43"/>
        <source>MP4 metadata</source>
        <translation>بيانات MP4 الوصفية</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="44"/>
        <source>file time (modified, at ingest)</source>
        <translation>وقت الملف (آخر تعديل، عند الإدخال)</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="45"/>
        <source>no time</source>
        <translation>بلا وقت</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="48"/>
        <source>photo</source>
        <translation>صورة</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="49"/>
        <source>video</source>
        <translation>فيديو</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="50"/>
        <source>not analysed</source>
        <translation>لم يُحلَّل</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="53"/>
        <source>pending</source>
        <translation>قيد الانتظار</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="54"/>
        <source>awaiting second review</source>
        <translation>بانتظار المراجعة الثانية</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="55"/>
        <source>confirmed</source>
        <translation>مؤكَّد</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="56"/>
        <source>inconclusive</source>
        <translation>غير حاسم</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="57"/>
        <source>rejected</source>
        <translation>مرفوض</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="216"/>
        <source>Time</source>
        <translation>الوقت</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="218"/>
        <source>As recorded</source>
        <translation>كما سُجِّل</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="224"/>
        <source>Source</source>
        <translation>المصدر</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="229"/>
        <source>Kind</source>
        <translation>النوع</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="233"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="234"/>
        <source>Faces</source>
        <translation>الوجوه</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="235"/>
        <source>Review</source>
        <translation>المراجعة</translation>
    </message>
</context>
<context>
    <name>TimelinePage</name>
    <message>
        <location filename="../pages/timeline.py" line="159"/>
        <source>Every kind</source>
        <translation>كل الأنواع</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="160"/>
        <source>Photos</source>
        <translation>الصور</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="161"/>
        <source>Videos</source>
        <translation>مقاطع الفيديو</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="162"/>
        <source>Not analysed</source>
        <translation>لم تُحلَّل</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="167"/>
        <source>Any review outcome</source>
        <translation>أي نتيجة مراجعة</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="170"/>
        <source>No candidate</source>
        <translation>بلا مرشَّح</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="173"/>
        <source>UTC</source>
        <translation>التوقيت العالمي المنسق (UTC)</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="177"/>
        <source>Local ({0})</source>
        <translation>المحلي ({0})</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="183"/>
        <source>Case</source>
        <translation>القضية</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="184"/>
        <source>Subject</source>
        <translation>الشخص</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="185"/>
        <source>Kind</source>
        <translation>النوع</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="186"/>
        <source>Review</source>
        <translation>المراجعة</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="187"/>
        <source>Time zone</source>
        <translation>المنطقة الزمنية</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="199"/>
        <source>Time runs left to right. A bar counts the items of its moment: click to zoom.</source>
        <translation>يسير الزمن من اليسار إلى اليمين. يعدّ كل عمود عناصر لحظته: انقر للتكبير.</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="287"/>
        <source>{0} – {1} (time zone: {2})</source>
        <translation>{0} – {1} (المنطقة الزمنية: {2})</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="297"/>
        <source>No case chosen.</source>
        <translation>لم تُختر قضية.</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="302"/>
        <source>{0} items in view of {1} on the time line.</source>
        <translation>{0} عناصر معروضة من {1} على الخط الزمني.</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="306"/>
        <source>The first {0} are listed.</source>
        <translation>القائمة تعرض أول {0}.</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="308"/>
        <source>{0} items have no time and are not placed.</source>
        <translation>{0} عناصر بلا وقت ولم تُوضع على الخط.</translation>
    </message>
    <message>
        <location filename="../pages/timeline.py" line="329"/>
        <source>zone not recorded</source>
        <translation>المنطقة غير مسجَّلة</translation>
    </message>
</context>
<context>
    <name>UserDialog</name>
    <message>
        <location filename="../pages/admin.py" line="114"/>
        <source>Roles of {0}</source>
        <translation>أدوار {0}</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="114"/>
        <source>Add user</source>
        <translation>إضافة مستخدم</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="122"/>
        <source>Name</source>
        <translation>الاسم</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="124"/>
        <source>Password</source>
        <translation>كلمة المرور</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="125"/>
        <source>Password again</source>
        <translation>كلمة المرور مرة أخرى</translation>
    </message>
    <message>
        <location filename="../pages/admin.py" line="148"/>
        <source>The two passwords differ.</source>
        <translation>كلمتا المرور مختلفتان.</translation>
    </message>
</context>
<context>
    <name>WatchlistExportDialog</name>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="102"/>
        <source>Export watchlist {0} to a partner</source>
        <translation>تصدير قائمة المراقبة {0} إلى شريك</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="103"/>
        <source>Also write an ANSI/NIST-ITL 1-2011 file (.eft)</source>
        <translation>اكتب أيضًا ملف ANSI/NIST-ITL 1-2011 (‎.eft)</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="121"/>
        <source>Exporting {0}</source>
        <translation>جارٍ تصدير {0}</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="125"/>
        <source>Watchlist bundle written to {0}: {1} subject(s), {2} photo(s), highest label TLP:{3}.</source>
        <translation>كُتبت حزمة قائمة المراقبة في {0}: {1} شخص، {2} صورة، أعلى تصنيف TLP:{3}.</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="128"/>
        <source>ANSI/NIST-ITL file written to {0}.</source>
        <translation>كُتب ملف ANSI/NIST-ITL في {0}.</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="130"/>
        <source>Expired listings not shared: {0}</source>
        <translation>قيود منتهية لم تُشارَك: {0}</translation>
    </message>
</context>
<context>
    <name>WatchlistImportDialog</name>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="141"/>
        <source>Import a watchlist bundle</source>
        <translation>استيراد حزمة قائمة مراقبة</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="142"/>
        <source>default: &lt;name&gt; (&lt;agency&gt;)</source>
        <translation>الافتراضي: &lt;الاسم&gt; (&lt;الجهة&gt;)</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="150"/>
        <source>Watchlist {0} from {1}: {2} subject(s), {3} photo(s) enrolled.</source>
        <translation>قائمة المراقبة {0} من {1}: سُجّل {2} شخص و{3} صورة.</translation>
    </message>
    <message>
        <location filename="../pages/watchlist_exchange.py" line="154"/>
        <source>{0} photo(s) refused by the local quality rules:</source>
        <translation>رفضت قواعد الجودة المحلية {0} صورة:</translation>
    </message>
</context>
<context>
    <name>Watchlists</name>
    <message>
        <location filename="../pages/watchlists.py" line="50"/>
        <source>Subject</source>
        <translation>الشخص</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="51"/>
        <source>Photos</source>
        <translation>الصور</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="52"/>
        <source>Label</source>
        <translation>التصنيف</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="53"/>
        <source>Issuing agency</source>
        <translation>الجهة المُصدِرة</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="54"/>
        <source>Reason</source>
        <translation>السبب</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="55"/>
        <source>Review on</source>
        <translation>المراجعة في</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="56"/>
        <source>Expires</source>
        <translation>ينتهي</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="57"/>
        <source>State</source>
        <translation>الحالة</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="79"/>
        <source>Alert threshold {0:.4f} (default; not calibrated)</source>
        <translation>عتبة التنبيه {0:.4f} (افتراضية؛ غير معايرة)</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="82"/>
        <source>Alert threshold {0:.4f}, calibrated on {1} ({2} images, {3} non-mated searches): FPIR {4:.4f} (target {5}), FNIR {6:.4f}, model {7}</source>
        <translation>عتبة التنبيه {0:.4f}، معايرة على {1} ({2} صورة، {3} بحث غير مطابق): FPIR {4:.4f} (الهدف {5})، FNIR {6:.4f}، النموذج {7}</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="42"/>
        <source>expired</source>
        <translation>منتهٍ</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="44"/>
        <source>review overdue since {0}</source>
        <translation>المراجعة متأخرة منذ {0}</translation>
    </message>
</context>
<context>
    <name>WatchlistsPage</name>
    <message>
        <location filename="../pages/watchlists.py" line="126"/>
        <source>New watchlist...</source>
        <translation>قائمة مراقبة جديدة...</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="128"/>
        <source>Enrol from files...</source>
        <translation>تسجيل من ملفات...</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="130"/>
        <source>Calibrate...</source>
        <translation>معايرة...</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="151"/>
        <source>Reference photos of the selected subject</source>
        <translation>الصور المرجعية للشخص المحدد</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="172"/>
        <source>{0} ({1} subjects)</source>
        <translation>{0} ({1} شخص)</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="176"/>
        <source>{0} ({1} subjects, {2} overdue)</source>
        <translation>{0} ({1} شخص، {2} متأخر عن المراجعة)</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="210"/>
        <source>{0} listing(s) overdue for review (still searched until they expire).</source>
        <translation>{0} قيد متأخر عن المراجعة (يبقى مشمولًا بالبحث حتى ينتهي).</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="239"/>
        <source>Reference photos</source>
        <translation>الصور المرجعية</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="239"/>
        <source>Images (*.jpg *.jpeg *.png *.bmp)</source>
        <translation>الصور (*.jpg *.jpeg *.png *.bmp)</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="132"/>
        <source>Export to a partner...</source>
        <translation>تصدير إلى شريك...</translation>
    </message>
    <message>
        <location filename="../pages/watchlists.py" line="134"/>
        <source>Import a watchlist bundle...</source>
        <translation>استيراد حزمة قائمة مراقبة...</translation>
    </message>
</context>
<context>
    <name>WorkstationsBox</name>
    <message>
        <location filename="../pages/workstations.py" line="59"/>
        <source>Workstations</source>
        <translation>محطات العمل</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="68"/>
        <source>Enrol this workstation...</source>
        <translation>تسجيل محطة العمل هذه...</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="70"/>
        <source>Revoke...</source>
        <translation>إلغاء...</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="95"/>
        <source>Enrol this workstation</source>
        <translation>تسجيل محطة العمل هذه</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="97"/>
        <source>Name of this workstation (its key is kept on this machine, for this user):</source>
        <translation>اسم محطة العمل هذه (يُحفظ مفتاحها على هذا الجهاز، لهذا المستخدم):</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="121"/>
        <source>Its own S3 key was not made: {0}</source>
        <translation>لم يُنشأ مفتاح S3 الخاص بها: {0}</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="124"/>
        <source>Its own S3 key, shown this once and kept nowhere (it may read, write and list the vault&apos;s bucket, not delete its objects):
access key {0}
secret {1}

Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to them.</source>
        <translation>مفتاح S3 الخاص بها، يُعرض هذه المرة فقط ولا يُحفظ في أي مكان (يمكنه قراءة حاوية الخزنة والكتابة فيها وسرد محتواها، لا حذف كائناتها):
مفتاح الوصول {0}
السر {1}

اضبط AWS_ACCESS_KEY_ID وAWS_SECRET_ACCESS_KEY عليهما.</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="130"/>
        <source>PostgreSQL login of this workstation</source>
        <translation>حساب دخول PostgreSQL لمحطة العمل هذه</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="179"/>
        <source>Its S3 key is still valid: {0}</source>
        <translation>ما زال مفتاح S3 الخاص بها صالحًا: {0}</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="115"/>
        <source>This workstation&apos;s own PostgreSQL login, shown this once and kept nowhere:
user {0}
password {1}

From now on start Custos here with --server {2} and PGPASSWORD set to that password.</source>
        <translation>حساب دخول PostgreSQL الخاص بمحطة العمل هذه، يُعرض هذه المرة فقط ولا يُحفظ في أي مكان:
المستخدم {0}
كلمة المرور {1}

من الآن فصاعدًا شغّل Custos هنا مع ‎--server {2}‎ واضبط PGPASSWORD على كلمة المرور هذه.</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="154"/>
        <location filename="../pages/workstations.py" line="178"/>
        <source>Revoke workstation</source>
        <translation>إلغاء محطة عمل</translation>
    </message>
    <message>
        <location filename="../pages/workstations.py" line="156"/>
        <source>Revoke workstation {0}? Its writes are refused from then on. On a local vault it still holds the vault key and can read: revocation is recorded and enforced by Custos, not by cryptography.</source>
        <translation>إلغاء محطة العمل {0}؟ تُرفض كتاباتها من الآن فصاعدًا. في خزنة محلية تبقى لديها مفتاح الخزنة ويمكنها القراءة: الإلغاء يسجّله Custos ويفرضه، لا التشفير.</translation>
    </message>
</context>
</TS>
