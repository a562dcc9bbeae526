"""The wording of the demo notes (clinical/demo.py): SOAP progress notes that read like a
family doctor's, nursing notes, admission notes and discharge summaries, varied by the
reason of the visit, the patient's problems and a seeded random generator.

Each writer returns the note's content: the SOAP fields, or `text` (never both). The
values quoted (blood pressure, temperature...) are those of the vital signs taken at
the visit when there are any. Everything is plain clinical text: tests, referrals and
medicines are what the doctor wrote, not records of other modules.
"""

HOW_LONG = ["two days", "three days", "four days", "five days", "a week"]


def _bp(vitals):
    return vitals.blood_pressure if vitals is not None and vitals.systolic_bp else "not taken"


def _obs(vitals):
    """Return the observations of `vitals` as a clinician writes them."""
    if vitals is None:
        return "Observations not repeated today."
    parts = []
    if vitals.systolic_bp:
        parts.append(f"BP {vitals.blood_pressure}")
    if vitals.heart_rate:
        parts.append(f"HR {vitals.heart_rate}")
    if vitals.respiratory_rate:
        parts.append(f"RR {vitals.respiratory_rate}")
    if vitals.temperature_c is not None:
        parts.append(f"T {vitals.temperature_c} °C")
    if vitals.spo2:
        parts.append(f"SpO₂ {vitals.spo2}% on air")
    return ", ".join(parts) + "."


# --- Acute visits (ICD-10-CM code of the visit) -----------------------------------------------


def _urti(rng, vitals, stage):
    contacts = rng.choice(
        ["Partner had the same last week.", "Colleagues off sick with colds.", "No contacts."]
    )
    return {
        "subjective": f"Sore throat, dry cough and blocked nose for {rng.choice(HOW_LONG)}. "
        f"{contacts} "
        "No shortness of breath, no chest pain, no earache. Eating and drinking normally; "
        "has taken paracetamol with some relief.",
        "objective": f"{_obs(vitals)} Pharynx mildly red, no exudate, tonsils not enlarged. "
        "No tender cervical nodes. Ears normal. Chest clear with good air entry on both "
        "sides.",
        "assessment": "Viral upper respiratory tract infection. No features of bacterial "
        "tonsillitis (Centor score 1) or of pneumonia.",
        "plan": "Fluids, rest, paracetamol as needed; honey and lemon for the cough. "
        "Antibiotics not indicated, reasons explained and accepted. Return if breathless, "
        "if the fever lasts beyond five days or if unable to swallow fluids.",
    }


def _chest_pain(rng, vitals, stage):
    weeks = rng.choice(["two", "three", "six"])
    risk = rng.choice(
        [
            "Father had a heart attack at 58.",
            "Ex-smoker, 20 pack-years.",
            "No family history of heart disease.",
        ]
    )
    return {
        "subjective": f"Central chest tightness for {weeks} weeks, brought on by walking "
        "uphill or climbing two flights of stairs, easing within five minutes of rest. No "
        "pain at rest, no palpitations, no blackouts. "
        f"{risk}",
        "objective": f"{_obs(vitals)} Heart sounds normal, no murmur. Chest clear. No "
        "calf tenderness, no ankle swelling. ECG in clinic: sinus rhythm, no ST or T "
        "wave changes.",
        "assessment": "Exertional chest pain, likely stable angina. Pattern stable and ECG "
        "normal: acute coronary syndrome unlikely.",
        "plan": "Referred to the rapid-access chest pain clinic. Started aspirin 75 mg once "
        "daily and GTN spray as needed; use of the spray shown. Fasting lipids and HbA1c "
        "requested. Call 999 for pain at rest lasting more than 15 minutes.",
    }


def _back_pain(rng, vitals, stage):
    lifted = rng.choice(["a heavy box at work", "bags of compost", "a wardrobe at home"])
    return {
        "subjective": f"Low back pain since lifting {lifted} {rng.choice(HOW_LONG)} ago. "
        "Aching across the lower back, no radiation below the knee. No numbness or "
        "weakness in the legs; bladder and bowels normal. Pain "
        f"{rng.randint(4, 7)}/10, worse on bending and getting out of a chair.",
        "objective": "Walks without aid, stiffly. Tender paraspinal muscles L4–S1, no bony "
        "tenderness. Flexion limited by pain. Straight-leg raise negative on both sides. "
        "Power, reflexes and sensation in the legs normal. No saddle anaesthesia.",
        "assessment": "Acute mechanical low back pain. No red flags.",
        "plan": "Stay active, avoid bed rest; heat and regular paracetamol, topical NSAID "
        "gel. Physiotherapy self-referral leaflet given. Return at once if leg weakness, "
        "numbness around the buttocks or any change in bladder control.",
    }


def _ibs(rng, vitals, stage):
    weight = f"{vitals.weight_kg} kg" if vitals is not None and vitals.weight_kg else "stable"
    months = rng.choice(["three", "four", "six"])
    return {
        "subjective": f"Crampy lower abdominal pain and bloating for {months} months, eased "
        "by opening the bowels; alternating loose stools and constipation. No weight loss, "
        "no blood in the stool, no night-time symptoms. "
        + rng.choice(["Busy period at work.", "Worse after coffee.", "Sleeping poorly."]),
        "objective": f"Weight {weight}. Abdomen soft, mildly tender in the left iliac "
        "fossa, no masses, no organ enlargement. Bowel sounds normal.",
        "assessment": "Symptoms in keeping with irritable bowel syndrome, no red-flag features.",
        "plan": "Coeliac serology and full blood count to rule out other causes. Regular "
        "meals, less caffeine and fizzy drinks; food and symptom diary for four weeks. "
        "Mebeverine as needed. Review in six weeks.",
    }


def _vitamin_d(rng, vitals, stage):
    return {
        "subjective": "Tired for several months, aching thighs and lower back. Works indoors "
        "most of the day. Sleeping well, mood good, appetite normal.",
        "objective": f"Looks well. BP {_bp(vitals)}. No bony tenderness. Thyroid not "
        "enlarged. Muscle power normal.",
        "assessment": "Vitamin D deficiency on the recent blood test; likely cause of the "
        "tiredness and aches.",
        "plan": "Colecalciferol loading course for seven weeks, then 1,000 units daily. "
        "Sunlight and diet advice. Recheck the level in three months; see sooner if not "
        "better.",
    }


# --- Follow-up of a chronic problem (the problem's code) ----------------------------------------


def _hypertension(rng, vitals, stage):
    at_target = stage > 0.5
    return {
        "subjective": "Blood pressure review. Home readings "
        + (
            "mostly below 135/85."
            if at_target
            else f"averaging {rng.randint(148, 162)}/{rng.randint(90, 98)}."
        )
        + " "
        + rng.choice(
            [
                "No side effects from amlodipine.",
                "Occasional ankle swelling in the evening.",
                "No headaches or dizziness.",
            ]
        )
        + " "
        "Takes the tablets every morning.",
        "objective": f"{_obs(vitals)} Heart sounds normal. No ankle oedema.",
        "assessment": "Essential hypertension, "
        + ("controlled on treatment." if at_target else "not yet at target.")
        + " Cardiovascular risk discussed.",
        "plan": (
            "Continue amlodipine 5 mg. Annual kidney function and urine albumin. Review in "
            "six months."
            if at_target
            else "Amlodipine increased to 10 mg. Keep the home blood-pressure diary; "
            "reduce salt. Review in six weeks."
        ),
    }


def _diabetes(rng, vitals, stage):
    hba1c = round(8.4 - 1.2 * stage + rng.uniform(-0.2, 0.2), 1)
    return {
        "subjective": "Diabetes review. "
        + rng.choice(
            [
                "Walking 30 minutes most days.",
                "Has cut down on sugary drinks.",
                "Finding the diet hard over the holidays.",
            ]
        )
        + " No hypoglycaemia. Takes metformin twice daily with food; no stomach upset.",
        "objective": f"{_obs(vitals)} Feet: pulses present, monofilament sensation "
        f"normal, skin intact. HbA1c {hba1c}% on the blood test before the visit.",
        "assessment": "Type 2 diabetes, "
        + ("at target." if hba1c < 7.0 else "above target, improving.")
        + " No complications found.",
        "plan": "Continue metformin 1 g twice daily"
        + ("." if hba1c < 7.0 else "; dose reviewed against kidney function.")
        + " Retinal screening due this year. Structured education course offered. Review "
        "in three months.",
    }


def _asthma(rng, vitals, stage):
    return {
        "subjective": "Asthma review. "
        + rng.choice(
            [
                "Uses the blue inhaler about twice a week, more with colds.",
                "No night waking; blue inhaler rarely needed.",
                "Wheezy when cutting the grass in spring.",
            ]
        )
        + " No attacks or steroid courses since the last review.",
        "objective": f"{_obs(vitals)} Chest clear. Peak flow {rng.randint(380, 520)} L/min "
        "(about 90% of best). Inhaler technique checked: good with a spacer.",
        "assessment": "Asthma, well controlled.",
        "plan": "Continue the preventer inhaler twice daily; written asthma action plan "
        "updated. Flu vaccine this autumn. Review in twelve months, sooner if the reliever "
        "is needed more than three times a week.",
    }


def _copd(rng, vitals, stage):
    return {
        "subjective": "COPD review. Breathless walking up one flight of stairs (MRC grade "
        f"{rng.choice([2, 3])}). Morning cough with white sputum. "
        f"{rng.choice(['Stopped smoking last year.', 'Still smoking ten a day; wants to stop.'])} "
        "One flare this winter treated at home.",
        "objective": f"{_obs(vitals)} Scattered wheeze, no crackles. No ankle oedema.",
        "assessment": "COPD, stable; no signs of heart failure.",
        "plan": "Continue the dual long-acting inhaler. Pulmonary rehabilitation referral. "
        "Rescue pack with written instructions. Smoking cessation support offered. Review "
        "in six months.",
    }


def _thyroid(rng, vitals, stage):
    return {
        "subjective": "Hypothyroidism review. Energy better since the last dose change. No "
        "palpitations, weight steady. Takes levothyroxine on an empty stomach.",
        "objective": f"{_obs(vitals)} No goitre. Reflexes normal. TSH within the reference "
        "range on the last blood test.",
        "assessment": "Primary hypothyroidism, well replaced.",
        "plan": "Continue levothyroxine 75 micrograms daily. Thyroid function once a year. "
        "See sooner if tiredness returns.",
    }


def _reflux(rng, vitals, stage):
    return {
        "subjective": "Heartburn after meals and lying down, "
        + rng.choice(["better on omeprazole.", "partly eased by antacids."])
        + " No difficulty swallowing, no vomiting, no weight loss, no black stools.",
        "objective": f"{_obs(vitals)} Abdomen soft, mild epigastric tenderness, no masses.",
        "assessment": "Gastro-oesophageal reflux disease without alarm features.",
        "plan": "Omeprazole 20 mg daily for four more weeks, then step down to as needed. "
        "Smaller evening meals, raise the head of the bed, less alcohol. Return if "
        "swallowing becomes difficult.",
    }


def _knee(rng, vitals, stage):
    return {
        "subjective": "Right knee pain on stairs and after walking more than half a mile; "
        "stiff for ten minutes in the morning. Paracetamol helps a little.",
        "objective": "Walks with a slight limp. Right knee: bony swelling, crepitus, no "
        "effusion, flexion to 110°. Ligaments stable.",
        "assessment": "Osteoarthritis of the right knee.",
        "plan": "Strengthening exercises and weight advice; physiotherapy referral. Topical "
        "NSAID and paracetamol. Walking stick offered. Review in three months; orthopaedic "
        "opinion if function declines.",
    }


def _atrial_fibrillation(rng, vitals, stage):
    return {
        "subjective": "Atrial fibrillation review. Occasional awareness of the heartbeat, "
        "no chest pain, no breathlessness, no falls. No bleeding on apixaban.",
        "objective": f"{_obs(vitals)} Pulse irregularly irregular. Heart sounds normal, "
        "chest clear, no oedema.",
        "assessment": "Permanent atrial fibrillation, rate controlled. Stroke risk high "
        "(CHA₂DS₂-VASc 4); bleeding risk acceptable.",
        "plan": "Continue bisoprolol 5 mg and apixaban 5 mg twice daily. Kidney function and "
        "blood count every six months. Review in six months.",
    }


def _depression(rng, vitals, stage):
    return {
        "subjective": "Low mood review. "
        + rng.choice(
            [
                "Sleeping better, back to walking the dog.",
                "Some good days now; still struggling in the mornings.",
                "Started the talking therapy; finds it helpful.",
            ]
        )
        + " No thoughts of self-harm. PHQ-9 "
        f"{max(4, int(16 - 8 * stage))} today.",
        "objective": "Good eye contact, reactive affect, speech normal. Appropriately dressed.",
        "assessment": "Depression, improving on sertraline.",
        "plan": "Continue sertraline 50 mg; no change for now. Keep up the therapy "
        "sessions. Crisis line numbers given again. Review in four weeks.",
    }


def _kidney(rng, vitals, stage):
    return {
        "subjective": "Chronic kidney disease review. Feels well. No change in urine, no "
        "swelling. Avoids anti-inflammatory painkillers as advised.",
        "objective": f"{_obs(vitals)} No oedema. eGFR stable at {rng.randint(38, 52)} on "
        "the last blood test; urine albumin mildly raised.",
        "assessment": "CKD stage 3, stable. Blood pressure and diabetes are the main risks "
        "to manage.",
        "plan": "Continue ramipril; kidney function and potassium in six months. Sick-day "
        "rules explained again (stop ramipril and metformin if vomiting or diarrhoea). "
        "Review in six months.",
    }


def _migraine(rng, vitals, stage):
    return {
        "subjective": f"Migraine review: {rng.randint(2, 5)} attacks a month with visual "
        "aura, one-sided throbbing headache and nausea, lasting most of a day. Triptan "
        "works within an hour. No new features.",
        "objective": f"BP {_bp(vitals)}. Neurological examination normal; fundi normal.",
        "assessment": "Migraine with aura, moderate frequency. Not suitable for combined "
        "hormonal contraception (discussed).",
        "plan": "Continue sumatriptan as needed, at most two days a week. Headache diary; "
        "propranolol as prevention if more than four attacks a month. Review in three "
        "months.",
    }


def _generic(title):
    def write(rng, vitals, stage):
        return {
            "subjective": f"Follow-up of {title.lower()}. No new symptoms reported.",
            "objective": _obs(vitals),
            "assessment": f"{title}: stable.",
            "plan": "Continue the current treatment. Review in three months.",
        }

    return write


WRITERS = {
    "J06.9": _urti,
    "R07.9": _chest_pain,
    "M54.50": _back_pain,
    "K58.9": _ibs,
    "E55.9": _vitamin_d,
    "I10": _hypertension,
    "E11.9": _diabetes,
    "J45.909": _asthma,
    "J44.9": _copd,
    "E03.9": _thyroid,
    "K21.9": _reflux,
    "M17.11": _knee,
    "I48.91": _atrial_fibrillation,
    "F32.A": _depression,
    "N18.30": _kidney,
    "G43.909": _migraine,
}


def progress_note(rng, code, title, vitals, *, stage=0.5, telephone=False):
    """Return the SOAP fields of a progress note about `code` (`stage`: 0 at the first
    visit of the series, 1 at the last; a telephone consultation has no examination)."""
    content = WRITERS.get(code, _generic(title))(rng, vitals, stage)
    if telephone:
        content["subjective"] = "Telephone consultation. " + content["subjective"]
        content["objective"] = (
            "No examination (telephone). Sounds well, speaking in full sentences."
        )
    return content


NURSING = [
    "Practice nurse review. BP {bp} seated after five minutes' rest. Weight recorded. "
    "Medicines reconciled with the patient's own list; no missed doses reported. Flu "
    "vaccine given in the left deltoid, batch number on the vaccination record; no "
    "immediate reaction after 15 minutes.",
    "Chronic disease check. Observations: {obs} Inhaler technique reviewed and corrected "
    "(breath-hold after the dose). Smoking status asked and recorded. Leaflets on "
    "exercise given. No concerns raised; next check in six months.",
    "Diabetic foot check: both feet inspected, pulses palpable, monofilament sensation "
    "intact at all sites, no callus or ulcers. Nail care advice given. Observations: {obs} "
    "Patient knows to report any foot wound the same day.",
    "Dressing clinic. Graze on the left shin from a fall in the garden, 3 × 2 cm, clean, "
    "edges healing, no signs of infection. Cleaned with saline, non-adherent dressing "
    "applied. Tetanus up to date. Next dressing change in three days.",
    "Telephone call from the patient about new tablets: explained dose and timing, to be "
    "taken with food. Side effects to watch for reviewed. Patient repeated the plan back "
    "correctly. Doctor not needed today.",
]


def nursing_note(rng, vitals):
    """Return the free text of a practice or ward nursing note."""
    return {"text": rng.choice(NURSING).format(bp=_bp(vitals), obs=_obs(vitals))}


def admission_note(rng, reason):
    """Return the SOAP fields of the admission note of a stay admitted for `reason`."""
    return {
        "subjective": f"Admitted for: {reason}. History from the patient and the referral "
        "letter. Symptoms worsening over the last days despite treatment at home; eating "
        "and drinking less. Usual medicines brought in.",
        "objective": "Alert and oriented. Observations on arrival recorded on the chart. "
        "Chest, heart and abdomen examined; findings in keeping with the reason for "
        "admission. No signs of sepsis at present.",
        "assessment": f"{reason}. Needs inpatient treatment and monitoring.",
        "plan": "Observations four-hourly; fluid balance chart. Usual medicines continued "
        "unless stated. Venous thromboembolism risk assessed, prophylaxis prescribed. "
        "Review on the morning ward round; family updated by telephone.",
    }


def pneumonia_admission_note(rng, vitals):
    """Return the SOAP fields of the admission note of a stay for pneumonia."""
    return {
        "subjective": f"Productive cough, fever and breathlessness for {rng.choice(HOW_LONG)}; "
        "pleuritic pain on the right. Antibiotics from the family doctor for two days "
        "without improvement. Eating little.",
        "objective": f"{_obs(vitals)} Dull to percussion and crackles at the right base. "
        "Chest X-ray: right lower lobe consolidation. CURB-65 score 2.",
        "assessment": "Community-acquired pneumonia, right lower lobe, moderate severity.",
        "plan": "Intravenous antibiotics, oxygen to keep saturations 94–98%, IV fluids. "
        "Blood and sputum cultures. Observations four-hourly. Review on the ward round.",
    }


def pneumonia_discharge_summary(rng, admitted, discharged):
    """Return the free text of the discharge summary of a stay for pneumonia."""
    days = (discharged.date() - admitted.date()).days
    return {
        "text": f"Discharge summary. Admitted {admitted:%d %b %Y} with community-acquired "
        f"pneumonia of the right lower lobe (CURB-65 score 2); discharged {discharged:%d %b %Y} "
        f"after {days} days.\n\n"
        "Course: treated with intravenous antibiotics for 48 hours, then switched to oral "
        "antibiotics once afebrile and eating. Oxygen weaned off on day 2. Cultures showed "
        "no resistant organism. Mobilising independently on the ward before discharge.\n\n"
        "On discharge: afebrile, saturations 96% on air, chest improving.\n\n"
        "Medicines: complete the oral antibiotic course (two more days). Usual medicines "
        "unchanged.\n\n"
        "Follow-up: family doctor review in one week. Repeat chest X-ray in six weeks to "
        "confirm resolution (requested by the ward team).\n\n"
        "Advice given: rest, fluids, return at once if breathless or feverish again.",
    }


def draft_review(rng, complaint):
    """Return the SOAP fields of a draft begun during today's visit (no assessment yet)."""
    return {
        "subjective": f"{complaint}. "
        + rng.choice(
            [
                "Home readings brought in, mostly 140s systolic. Taking the tablets "
                "regularly; no side effects.",
                "Feels well overall. Would like to discuss stopping one of the tablets.",
            ]
        ),
        "objective": "Examination to follow once the observations are done.",
    }


def sore_throat_draft():
    """Return the SOAP fields of John Smith's draft note of today."""
    return {
        "subjective": "Sore throat and fever for two days, painful swallowing, no cough. "
        "Took paracetamol this morning. Severe penicillin allergy (anaphylaxis 2015).",
        "objective": "Temperature and throat examination to be recorded.",
    }
