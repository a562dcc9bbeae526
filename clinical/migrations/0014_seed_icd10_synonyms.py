"""Seed the ICD-10 synonyms: the abbreviations and lay phrases clinicians type for common
diagnoses, each with the words ICD-10-CM titles use instead and the code or category to
list first (every expansion checked against the titles of the simple-icd-10-cm 1.5.0
release). Administrators extend and correct them in the admin. A term that exists
already (in any case) is left as it is; the rows are written with their history ("+",
the migration)."""

from django.db import migrations
from django.utils import timezone

SYNONYMS = [
    # (term, expansion: words every matching title contains, preferred code or category)
    ("T2DM", "type 2 diabetes mellitus", "E11"),
    ("DM2", "type 2 diabetes mellitus", "E11"),
    ("NIDDM", "type 2 diabetes mellitus", "E11"),
    ("T1DM", "type 1 diabetes mellitus", "E10"),
    ("DM1", "type 1 diabetes mellitus", "E10"),
    ("IDDM", "type 1 diabetes mellitus", "E10"),
    ("DM", "diabetes mellitus", ""),
    ("DKA", "diabetes mellitus with ketoacidosis", "E10.1"),
    ("high blood sugar", "hyperglycemia", "R73.9"),
    ("HTN", "hypertension", "I10"),
    ("HBP", "hypertension", "I10"),
    ("high blood pressure", "hypertension", "I10"),
    ("low blood pressure", "hypotension", "I95.9"),
    ("MI", "myocardial infarction", "I21"),
    ("AMI", "acute myocardial infarction", "I21"),
    ("heart attack", "myocardial infarction", "I21"),
    ("STEMI", "ST elevation myocardial infarction", "I21"),
    ("NSTEMI", "NSTEMI myocardial infarction", "I21.4"),
    ("CAD", "atherosclerotic heart disease", "I25.1"),
    ("IHD", "ischemic heart disease", "I25"),
    ("AF", "atrial fibrillation", "I48"),
    ("AFib", "atrial fibrillation", "I48"),
    ("CHF", "heart failure", "I50"),
    ("CCF", "heart failure", "I50"),
    ("HF", "heart failure", "I50"),
    ("DVT", "thrombosis deep veins", "I82.4"),
    ("PE", "pulmonary embolism", "I26"),
    ("PVD", "peripheral vascular disease", "I73.9"),
    ("PAD", "peripheral vascular disease", "I73.9"),
    ("AAA", "abdominal aortic aneurysm", "I71.4"),
    ("CVA", "cerebral infarction", "I63"),
    ("TIA", "transient cerebral ischemic attack", "G45.9"),
    ("SAH", "subarachnoid hemorrhage", "I60"),
    ("ICH", "intracerebral hemorrhage", "I61"),
    ("COPD", "chronic obstructive pulmonary disease", "J44"),
    ("CAP", "pneumonia", "J18"),
    ("PNA", "pneumonia", "J18"),
    ("URTI", "acute upper respiratory infection", "J06"),
    ("URI", "acute upper respiratory infection", "J06"),
    ("LRTI", "acute lower respiratory infection", "J22"),
    ("chest infection", "acute lower respiratory infection", "J22"),
    ("flu", "influenza", "J11"),
    ("TB", "tuberculosis", "A15"),
    ("SOB", "shortness of breath", "R06.02"),
    ("OSA", "obstructive sleep apnea", "G47.33"),
    ("CKD", "chronic kidney disease", "N18"),
    ("ESRD", "end stage renal disease", "N18.6"),
    ("AKI", "acute kidney failure", "N17"),
    ("UTI", "urinary tract infection", "N39.0"),
    ("kidney stone", "calculus of kidney", "N20.0"),
    ("BPH", "benign prostatic hyperplasia", "N40"),
    ("GERD", "gastro-esophageal reflux disease", "K21"),
    ("GORD", "gastro-esophageal reflux disease", "K21"),
    ("PUD", "peptic ulcer", "K27"),
    ("IBS", "irritable bowel syndrome", "K58"),
    ("UC", "ulcerative colitis", "K51"),
    ("GI bleed", "gastrointestinal hemorrhage", "K92.2"),
    ("diarrhoea", "diarrhea", "R19.7"),
    ("anaemia", "anemia", "D64.9"),
    ("haemorrhage", "hemorrhage", ""),
    ("oesophagitis", "esophagitis", "K20"),
    ("hyperlipidaemia", "hyperlipidemia", "E78.5"),
    ("HLD", "hyperlipidemia", "E78.5"),
    ("high cholesterol", "hypercholesterolemia", "E78.0"),
    ("underactive thyroid", "hypothyroidism", "E03.9"),
    ("overactive thyroid", "thyrotoxicosis", "E05.90"),
    ("OA", "osteoarthritis", "M19.9"),
    ("RA", "rheumatoid arthritis", "M06.9"),
    ("LBP", "low back pain", "M54.5"),
    ("MDD", "major depressive disorder", "F32"),
    ("GAD", "generalized anxiety disorder", "F41.1"),
    ("ADHD", "attention-deficit hyperactivity disorder", "F90"),
]


def forwards(apps, schema_editor):
    Synonym = apps.get_model("clinical", "Icd10Synonym")
    HistoricalSynonym = apps.get_model("clinical", "HistoricalIcd10Synonym")
    existing = {term.upper() for term in Synonym.objects.values_list("term", flat=True)}
    rows = Synonym.objects.bulk_create(
        [
            Synonym(term=term, expansion=expansion, code=code)
            for term, expansion, code in SYNONYMS
            if term.upper() not in existing
        ]
    )
    fields = [f.attname for f in Synonym._meta.concrete_fields]
    now = timezone.now()
    HistoricalSynonym.objects.bulk_create(
        [
            HistoricalSynonym(
                **{name: getattr(row, name) for name in fields},
                history_date=now,
                history_type="+",
                history_change_reason="Seeded with the common synonyms",
            )
            for row in rows
        ]
    )


def backwards(apps, schema_editor):
    Synonym = apps.get_model("clinical", "Icd10Synonym")
    # Only the seeded rows as seeded: what administrators added or changed stays.
    for term, expansion, code in SYNONYMS:
        Synonym.objects.filter(term=term, expansion=expansion, code=code).delete()


class Migration(migrations.Migration):
    dependencies = [("clinical", "0013_icd10synonym")]

    operations = [migrations.RunPython(forwards, backwards)]
