# ruff: noqa: E501
"""Label texts of the CMRT 6.x templates (English, Chinese, French, German), keyed like the hidden ``L`` sheet.

Extracted from the RMI CMRT 6.5 and 6.4 templates' ``L`` sheets (only the labels the fixture factory writes).
Used by :mod:`cmrt.workbook.factory` to build CMRT-shaped workbooks in several languages.
"""

from __future__ import annotations

# fmt: off
LANGUAGE_HEADERS = ['English',
 '中文 Chinese',
 '日本語 Japanese',
 '한국어 Korean',
 'Français',
 'Português',
 'Deutsch',
 'Español',
 'Italiano',
 'Türkçe']

LABELS: dict[str, dict[str, str]] = {'DeclarationD2': {'en': 'Conflict Minerals Reporting Template (CMRT)',
                   'zh': 'Conflict Minerals Reporting Template (CMRT)',
                   'fr': 'Conflict Minerals Reporting Template (CMRT)',
                   'de': 'Conflict Minerals Reporting Template (CMRT)'},
 'DeclarationB7': {'en': 'Company Information',
                   'zh': '公司信息',
                   'fr': 'Informations sur l’entreprise',
                   'de': 'Firmenangaben'},
 'DeclarationB8': {'en': 'Company Name (*):',
                   'zh': '公司名称 (*)：',
                   'fr': "Nom de l'entreprise (*):",
                   'de': 'Firmenname (*):'},
 'DeclarationB9': {'en': 'Declaration Scope or Class (*):',
                   'zh': '申报范围或种类 (*)：',
                   'fr': 'Périmètre de la déclaration (*):',
                   'de': 'Geltungsbereich der Erklärung (*):'},
 'DeclarationB10': {'en': 'Description of Scope:',
                    'zh': '范围描述：',
                    'fr': 'Description du périmètre:',
                    'de': 'Beschreibung des Geltungsbereichs'},
 'DeclarationB10A': {'en': 'Description of Scope:',
                     'zh': '范围描述：',
                     'fr': 'Description du périmètre:',
                     'de': 'Beschreibung des Geltungsbereichs'},
 'DeclarationB10C': {'en': 'Description of Scope: (*)',
                     'zh': '范围描述：(*)',
                     'fr': 'Description du périmètre (*):',
                     'de': 'Beschreibung des Geltungsbereichs (*):'},
 'DeclarationB10B': {'en': 'Go to Product List tab to enter products this declaration applies to',
                     'zh': '转到产品列表选项卡，输入此申报所适用的产品',
                     'fr': 'Allez sur l\'onglet "Liste des produits" pour saisir les produits auxquels cette '
                           "déclaration s'applique",
                     'de': 'Wechseln Sie zum Reiter „Product List“ und geben dort die Produkte ein, für die diese '
                           'Erklärung gilt.'},
 'DeclarationD11': {'en': 'Click here to enter the products this declaration applies to',
                    'zh': '点击此处，输入此申报所适用的产品',
                    'fr': "Cliquez ici pour saisir les produits auxquels la présente déclaration s'applique",
                    'de': 'Klicken Sie hier, um die Produkte einzugeben, auf die diese Erklärung anzuwenden ist'},
 'DeclarationB12': {'en': 'Company Unique ID:',
                    'zh': '公司唯一识别信息： ',
                    'fr': "Identifiant unique de l'entreprise:",
                    'de': 'Eindeutige Unternehmenskennung:'},
 'DeclarationB13': {'en': 'Company Unique ID Authority:',
                    'zh': '公司唯一授权识别信息：',
                    'fr': "Autorité délivrant l'identifiant unique:",
                    'de': 'Zuständige Stelle im Unternehmen:'},
 'DeclarationB14': {'en': 'Address:', 'zh': '地址：', 'fr': 'Adresse:', 'de': 'Adresse:'},
 'DeclarationB15': {'en': 'Contact Name (*):',
                    'zh': '联系人姓名 (*)：',
                    'fr': 'Nom du contact (*):',
                    'de': 'Name des Ansprechpartners (*):'},
 'DeclarationB16': {'en': 'Email – Contact (*):',
                    'zh': '电子邮件 - 联系人 (*)：',
                    'fr': 'Email du contact (*):',
                    'de': 'E-Mail-Adresse des Ansprechpartners (*):'},
 'DeclarationB17': {'en': 'Phone – Contact (*):',
                    'zh': '电话 - 联系人 (*)：',
                    'fr': 'Téléphone du contact (*):',
                    'de': 'Telefonnummer des Ansprechpartners (*):'},
 'DeclarationB18': {'en': 'Authorizer (*):',
                    'zh': '授权人 (*)：',
                    'fr': 'Nom de la personne responsable de la déclaration (*):',
                    'de': 'Bevollmächtigter (*):'},
 'DeclarationB19': {'en': 'Title - Authorizer:',
                    'zh': '职务 - 授权人：',
                    'fr': 'Titre du représentant légal:',
                    'de': 'Titel des Bevollmächtigten:'},
 'DeclarationB20': {'en': 'Email - Authorizer (*):',
                    'zh': '电子邮件 - 授权人 (*)：',
                    'fr': 'Email du représentant légal (*):',
                    'de': 'E-Mail-Adresse des Bevollmächtigten (*):'},
 'DeclarationB21': {'en': 'Phone - Authorizer:',
                    'zh': '电话 - 授权人：',
                    'fr': 'Téléphone du représentant légal:',
                    'de': 'Telefonnummer des Bevollmächtigten:'},
 'DeclarationB22': {'en': 'Effective Date (*):',
                    'zh': '生效日期 (*)：',
                    'fr': 'Date de la déclaration (*):',
                    'de': 'Datum (*):'},
 'DeclarationB24': {'en': 'Answer the following questions 1 - 8 based on the declaration scope indicated above',
                    'zh': '根据上述申报范围，回答以下 1 至 8 题',
                    'fr': 'Répondre aux questions 1 à 8 suivantes pour le périmètre de la déclaration indiqué '
                          'ci-dessus',
                    'de': 'Beantworten Sie die Fragen 1 - 8 entsprechend dem oben angegebenen Geltungsbereich'},
 'DeclarationB25': {'en': '1) Is any 3TG intentionally added or used in the product(s) or in the production '
                          'process? (*)',
                    'zh': '1) 是否在产品或生产流程中有意添加或使用任何 3TG？(*)',
                    'fr': '1) Des 3TG sont-ils intentionnellement ajoutés ou utilisés dans le(s) produit(s) ou '
                          'les processus de production\xa0? (*)',
                    'de': '1)\xa0Wird absichtlich ein 3TG-Mineral im Herstellungsprozess verwendet oder in '
                          'das/die Produkt(e) aufgenommen? (*)'},
 'DeclarationB31': {'en': '2) Does any 3TG remain in the product(s)?',
                    'zh': '2) 是否有任何 3TG 仍存在于产品中？',
                    'fr': '2) Reste-t-il des 3TG dans le(s) produit(s)\xa0? (*)',
                    'de': '2)\xa0Liegen in dem/den Produkt(en) 3TG-Rückstände vor? '},
 'DeclarationB37': {'en': '3) Do any of the smelters in your supply chain source the 3TG from the covered '
                          'countries? (SEC term, see definitions tab)',
                    'zh': '3) 贵公司供应链中的冶炼厂是否从所指明的国家采购 3TG？（有关术语“SEC”，请参见定义选项卡）',
                    'fr': '3) Est-ce qu’une des fonderies de votre chaîne d’approvisionnement s’approvisionne en '
                          '3TG à partir des pays couverts ? (terme SEC, consulter l’onglet des définitions)',
                    'de': '3) Beschaffen Schmelzhütten in Ihrer Lieferkette das 3TG-Mineral aus den umfassten '
                          'Ländern? (SEC-Begriff, siehe Definitions-Tab)'},
 'DeclarationB43': {'en': '4) Do any of the smelters in your supply chain source the 3TG from conflict-affected '
                          'and high-risk areas?',
                    'zh': '4) 贵公司供应链中是否有冶炼厂从受冲突影响和高风险地区\n采购 3TG？',
                    'fr': '4) L’une des fonderies de votre chaîne d’approvisionnement se fournit-elle en 3TG '
                          'auprès de zones touchées par des conflits et à haut risque\u2009?',
                    'de': '4) Beziehen Schmelzhütten in Ihrer Lieferkette ihre 3TG aus von Konflikten betroffenen '
                          'und risikoreichen Gebieten?'},
 'DeclarationB49': {'en': '5) Does 100 percent of the 3TG (necessary to the functionality or production of your '
                          'products) originate from recycled or scrap sources? ',
                    'zh': '5) 是否 100% 的 3TG（因产品功能或生产而必须使用）来自于回收料或报废料？',
                    'fr': '5) Est-ce que 100 % des 3TG (nécessaires au fonctionnement ou à la production de vos '
                          'produits) provient de sources recyclées\xa0? ',
                    'de': '5) Stammt das für die Funktionalität oder  Herstellung Ihrer Produkte benötigte '
                          '3TG-Mineral zu 100 % aus Recycling- oder Schrottquellen? '},
 'DeclarationB55': {'en': '6) What percentage of relevant suppliers have provided a response to your supply chain '
                          'survey? ',
                    'zh': '6) 已对贵公司供应链调查提供答复的相关供应商百分比是多少？',
                    'fr': "6) Combien de fournisseurs (%) concernés ont répondu à l'enquête sur la chaîne "
                          "d'approvisionnement\xa0?",
                    'de': '6)\xa0Wie hoch ist der Prozentsatz an Lieferanten, die auf Ihre Lieferkettenumfrage '
                          'geantwortet haben?'},
 'DeclarationB61': {'en': '7) Have you identified all of the smelters supplying the 3TG to your supply chain? ',
                    'zh': '7) 您是否识别出为贵公司供应链供应 3TG 的所有冶炼厂？',
                    'fr': '7) Avez-vous identifié toutes les fonderies qui fournissent les 3TG à votre chaîne '
                          'd’approvisionnement\xa0? ',
                    'de': '7) Haben Sie alle Schmelzhütten ermittelt, die das 3TG-Mineral für Ihre Lieferkette '
                          'bereitstellen? '},
 'DeclarationB67': {'en': '8) Has all applicable smelter information received by your company been reported in '
                          'this declaration? ',
                    'zh': '8) 贵公司收到的所有适用冶炼厂信息是否已在此申报中报告？',
                    'fr': '8) Est-ce que toutes les informations pertinentes reçues des fonderies par votre '
                          'société ont été mentionnées dans cette déclaration\xa0? ',
                    'de': '8) Haben Sie alle relevanten Informationen, die Ihr Unternehmen zu den Schmelzhütten '
                          'erhalten hat, in dieser Erklärung aufgeführt? '},
 'DeclarationB73': {'en': 'Answer the Following Questions at a Company Level',
                    'zh': '从公司层面，回答以下问题',
                    'fr': "Répondre à la question suivante au niveau de l'entreprise",
                    'de': 'Beantworten Sie folgende Fragen auf Firmenebene'},
 'DeclarationB75': {'en': 'A. Have you established a responsible minerals sourcing policy?',
                    'zh': 'A. 贵公司是否已制定负责任矿产采购政策？',
                    'fr': 'A. Avez-vous mis en place une politique d’approvisionnement en minerais '
                          'responsable\u2009?',
                    'de': 'A. Haben Sie eine konfliktfreie Beschaffungsrichtlinie für Mineralien erstellt?'},
 'DeclarationB77': {'en': 'B. Is your responsible minerals sourcing policy publicly available on your website? '
                          '(Note – If yes, the user shall specify the URL in the comment field.)',
                    'zh': 'B. 贵公司的负责任矿产采购政策是否公开发布于贵公司网页上？（备注 - 如果是，请在注释字段中注明 URL。）',
                    'fr': 'B. La politique d’approvisionnement en minerais responsable est-elle disponible '
                          'publiquement sur votre site Web\u2009? (Remarque – Si la réponse est «\u2009oui\u2009'
                          '», l’utilisateur doit indiquer l’URL dans le champ des commentaires).',
                    'de': 'B. Ist Ihre konfliktfreie Beschaffungsrichtlinie für Mineralien auf Ihrer Website '
                          'einsehbar? (Hinweis - Wenn „Ja“, sollte der Benutzer die URL im Anmerkungsfeld '
                          'angeben.)'},
 'DeclarationB79': {'en': 'C. Do you require your direct suppliers to source the 3TG from smelters whose due '
                          'diligence practices have been validated by an independent third party audit program?',
                    'zh': 'C. 您是否要求您的直接供应商从其尽职调查实践已被被独立第三方审核机构验证过的冶炼厂采购 3TG？ ',
                    'fr': 'C. Est-ce que vous imposez à vos fournisseurs directs de s’approvisionner en 3TG '
                          'auprès de fonderie dont les pratiques de diligence raisonnable ont été validées par un '
                          'programme d’audit externe indépendant\xa0? ',
                    'de': 'C. Verlangen Sie von Ihren direkten Lieferanten, das 3TG-Mineral ausschließlich von '
                          'Schmelzhütten zu beziehen, deren Sorgfaltspflichts-Praktiken von einer unabhängigen '
                          'Instanz überprüft wurden?'},
 'DeclarationB81': {'en': 'D. Have you implemented due diligence measures for responsible sourcing?',
                    'zh': 'D. 贵公司是否已实施负责任矿产采购的尽职调查措施？',
                    'fr': 'D. Avez-vous mis en œuvre des mesures de diligence raisonnable pour un '
                          'approvisionnement responsable\u2009?',
                    'de': 'D. Haben Sie Sorgfaltspflichtmaßnahmen für die konfliktfreie Beschaffung in Kraft '
                          'gesetzt?'},
 'DeclarationB83': {'en': 'E. Does your company conduct Conflict Minerals survey(s) of your relevant supplier(s)?',
                    'zh': 'E. 贵公司是否开展了相关供应商的冲突矿产调查？',
                    'fr': 'E. Votre société mène-t-elle des enquêtes sur les minerais de conflit auprès du/des '
                          'fournisseur(s) concerné(s)\xa0?',
                    'de': 'E. Veranstaltet Ihr Unternehmen (eine) Konfliktmineralienumfrage(n) mit seinen '
                          'entsprechenden Lieferanten?'},
 'DeclarationB85': {'en': 'F. Do you review due diligence information received from your suppliers against your '
                          'company’s expectations?',
                    'zh': 'F. 贵公司是否根据公司期望来审查供应商提交的尽职调查信息？',
                    'fr': 'F. Vérifiez-vous les informations de devoir de diligence reçues de vos fournisseurs '
                          'par rapport aux attentes de votre entreprise? ',
                    'de': 'F. Überprüfen Sie die Sorgfaltspflichts-Informationen, die Sie von ihren Lieferanten '
                          'erhalten, anhand der Erwartungen Ihres Unternehmens?'},
 'DeclarationB87': {'en': 'G. Does your review process include corrective action management?',
                    'zh': 'G. 贵公司的验证程序是否包括纠正措施管理？',
                    'fr': 'G. Votre processus de vérification inclut-il la gestion des actions correctives ? ',
                    'de': 'G. Sieht Ihr Review-Prozess ein Korrekturmaßnahmen-Management vor?'},
 'DeclarationB89': {'en': 'H. Is your company required to file an annual conflict minerals disclosure?',
                    'zh': 'H. 贵公司是否需要提交年度冲突矿产披露？',
                    'fr': 'H. Votre société est-elle tenue de fournir une déclaration annuelle sur les minerais '
                          'de conflit\xa0?',
                    'de': 'H. Ist Ihr Unternehmen zu einer jährlichen Offenlegung der Konfliktmineralien '
                          'verpflichtet?'},
 'DeclarationD25': {'en': 'Answer', 'zh': '回答', 'fr': 'Réponse', 'de': 'Antwort'},
 'DeclarationB74': {'en': 'Question', 'zh': '问题', 'fr': 'Question', 'de': 'Frage'},
 'DeclarationG25': {'en': 'Comments', 'zh': '注释', 'fr': 'Commentaires', 'de': 'Kommentare'},
 'DeclarationB26': {'en': 'Tantalum  ', 'zh': '钽', 'fr': 'Tantale  ', 'de': 'Tantal  '},
 'DeclarationB27': {'en': 'Tin  ', 'zh': '锡', 'fr': 'Étain  ', 'de': 'Zinn  '},
 'DeclarationB28': {'en': 'Gold  ', 'zh': '金', 'fr': 'Or  ', 'de': 'Gold  '},
 'DeclarationB29': {'en': 'Tungsten  ', 'zh': '钨', 'fr': 'Tungstène  ', 'de': 'Wolfram  '},
 'DeclarationB38': {'en': 'Tantalum  ', 'zh': '钽', 'fr': 'Tantale  ', 'de': 'Tantal  '},
 'DeclarationB39': {'en': 'Tin  ', 'zh': '锡', 'fr': 'Étain  ', 'de': 'Zinn  '},
 'DeclarationB40': {'en': 'Gold  ', 'zh': '金', 'fr': 'Or  ', 'de': 'Gold  '},
 'DeclarationB41': {'en': 'Tungsten  ', 'zh': '钨', 'fr': 'Tungstène  ', 'de': 'Wolfram  '},
 'DeclarationB44': {'en': 'Tantalum  ', 'zh': '钽', 'fr': 'Tantale  ', 'de': 'Tantal  '},
 'DeclarationB45': {'en': 'Tin  ', 'zh': '锡', 'fr': 'Étain  ', 'de': 'Zinn  '},
 'DeclarationB46': {'en': 'Gold  ', 'zh': '金', 'fr': 'Or  ', 'de': 'Gold  '},
 'DeclarationB47': {'en': 'Tungsten  ', 'zh': '钨', 'fr': 'Tungstène  ', 'de': 'Wolfram  '},
 'Smelter ListA4': {'en': 'Smelter Identification Number Input Column',
                    'zh': '冶炼厂识别号码输入列',
                    'fr': 'Colonne de saisie du numéro d’identification de la fonderie',
                    'de': 'Eingabespalte Schmelzhüttenidentifizierungsnummer '},
 'Smelter ListB4': {'en': 'Metal (*)', 'zh': '金属 (*)', 'fr': 'Métal (*)', 'de': 'Metall (1)'},
 'Smelter ListC4': {'en': 'Smelter Look-up (*)',
                    'zh': '冶炼厂查找 (*)',
                    'fr': 'Recherche de fonderie (*)',
                    'de': 'Schmelzhüttensuche (*)'},
 'Smelter ListD4': {'en': 'Smelter Name (1)',
                    'zh': '冶炼厂名称 (1)',
                    'fr': 'Nom de la fonderie (1)',
                    'de': 'Schmelzhüttenname (1)'},
 'Smelter ListE4': {'en': 'Smelter Country (*)',
                    'zh': '冶炼厂所在国家或地区 (*)',
                    'fr': 'Localisation de la fonderie : Pays (*)',
                    'de': 'Schmelzhütten: Land (*)'},
 'Smelter ListH4': {'en': 'Smelter Street ',
                    'zh': '冶炼厂所在街道',
                    'fr': 'Localisation de la fonderie : Rue et Numéro',
                    'de': 'Schmelzhütten: Straße'},
 'Smelter ListI4': {'en': 'Smelter City',
                    'zh': '冶炼厂所在城市',
                    'fr': 'Localisation de la fonderie : Ville',
                    'de': 'Schmelzhütten: Stadt'},
 'Smelter ListJ4': {'en': 'Smelter Facility Location: State / Province',
                    'zh': '冶炼厂地址：州/省',
                    'fr': 'Localisation de la fonderie : Etat / Province',
                    'de': 'Schmelzhütten: Bundesland/Provinz'},
 'Smelter ListK4': {'en': 'Smelter Contact Name',
                    'zh': '冶炼厂联系人',
                    'fr': 'Nom du contact de la fonderie',
                    'de': 'Schmelzhütten-Ansprechpartner: Name '},
 'Smelter ListL4': {'en': 'Smelter Contact Email',
                    'zh': '冶炼厂联系人电子邮件',
                    'fr': 'Email du contact de la fonderie',
                    'de': 'Schmelzhütten-Ansprechpartner: E-mail'},
 'Smelter ListM4': {'en': 'Proposed next steps',
                    'zh': '建议的后续步骤',
                    'fr': 'Prochaines étapes proposées, si applicable',
                    'de': 'Vorgeschlagenen nächsten Schritte'},
 'Smelter ListN4': {'en': 'Name of Mine(s) or if recycled or scrap sourced, enter "recycled" or "scrap"',
                    'zh': '填写矿井名称，或如果所用矿产来自于回收料和报废料，请填写“回收”或“报废”。',
                    'fr': 'Nom des Mine(s), ou si provenant de produits recyclés, rebuts de production ou déchets '
                          'de consommation, saisir "recycled" ou "scrap"',
                    'de': 'Name der Mine(n) oder falls aus Recycling oder Schrott, tragen Sie "recycled" oder '
                          '"Schrott" ein'},
 'Smelter ListO4': {'en': 'Location (Country) of Mine(s) or if recycled or scrap sourced, enter "recycled" or '
                          '"scrap"',
                    'zh': '填写矿井所在国家或地区，或如果所用矿产来自于回收料和报废料，请填写“回收”或“报废”。',
                    'fr': 'Localisation (Pays) des Mine(s) ou si provenant de produits recyclés, rebuts de '
                          'production ou déchets de consommations, saisir "recycled" ou "scrap"',
                    'de': 'Standort (Land) von Minen, falls aus Recycling oder Schrott gekauft, geben Sie '
                          '"recycled" oder "Schrott" ein'},
 'Smelter ListP4': {'en': 'Does 100% of the smelter’s feedstock originate from recycled or scrap sources?',
                    'zh': '冶炼厂的被冶炼物料是否 100% 来自于回收料或报废料？',
                    'fr': '\n'
                          '100% des produits utilisés par la fonderie proviennent-ils de produits recyclés, '
                          'rebuts de production ou déchets de consommation?',
                    'de': 'Stammen 100% der Ausgangsstoffe der Schmelzhütte aus Recycling oder Schrott?'},
 'Smelter ListQ4': {'en': 'Comments', 'zh': '注释', 'fr': 'Commentaires', 'de': 'Kommentare'},
 'Smelter ListF4': {'en': 'Smelter Identification',
                    'zh': '冶炼厂识别',
                    'fr': 'Identifiant de la fonderie',
                    'de': 'Schmelzhütte Identifizierung'},
 'Smelter ListG4': {'en': 'Source of Smelter Identification Number',
                    'zh': '冶炼厂出处识别号',
                    'fr': "Type de l'identifiant de la fonderie",
                    'de': 'Quelle der Schmelzhütte Id-Nummer'},
 'CheckerD1': {'en': 'Required fields remaining to be completed',
               'zh': '待完成的必填字段',
               'fr': 'Champs obligatoires non complétés',
               'de': 'Erforderliche Felder bitte vervollständigen.'},
 'Product ListB5': {'en': 'Responder’s Product Number (*)',
                    'zh': '回复方的产品编号 (*)',
                    'fr': 'Référence du produit du répondant (*)',
                    'de': 'Produkt- oder Artikelnummer des Befragten (*)'},
 'Product ListC5': {'en': 'Responder’s Product Name',
                    'zh': '回复方的产品名称',
                    'fr': 'Nom du produit du répondant',
                    'de': 'Produkt- oder Artikelbeschreibung des Befragten'},
 'Product ListD5': {'en': 'Comments', 'zh': '注释', 'fr': 'Commentaires', 'de': 'Kommentare'}}

#: CMRT 6.01-6.4 Product List headers ("Manufacturer's"); 6.5 says "Responder's" (in LABELS).
PRODUCT_HEADERS_BEFORE_6_5: dict[str, dict[str, str]] = {'Product ListB5': {'de': 'Produkt- oder Artikelnummer (*)',
                    'en': 'Manufacturer’s Product Number (*)',
                    'fr': 'Référence du produit (*)',
                    'zh': '制造商的产品序号 (*)'},
 'Product ListC5': {'de': 'Produkt- oder Artikelbeschreibung',
                    'en': 'Manufacturer’s Product Name',
                    'fr': 'Nom du produit',
                    'zh': '制造商的产品名称'}}
# fmt: on
