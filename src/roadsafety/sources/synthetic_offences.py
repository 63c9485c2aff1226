"""Offence tables of the synthetic e-challans: mixes per enforcement context, officer text, fines.

Fines are the Motor Vehicles (Amendment) Act 2019 first-offence amounts in rupees; the officer's
text (``offence_raw``) varies the way handheld-device entries do. See docs/synthetic.md.
"""

from __future__ import annotations

import numpy as np

from roadsafety.schemas import OFFENCES

# Offence mix per context (probabilities in OFFENCES order).
_MIX = {
    #                 speed  drunk  red   helmet belt  wrong  mobile load  lane  danger docs  other
    "cam_speed": (0.93, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.07, 0.0, 0.0, 0.0),
    "cam_anpr": (0.0, 0.0, 0.0, 0.45, 0.3, 0.08, 0.05, 0.0, 0.0, 0.0, 0.07, 0.05),
    "cam_red_light": (0.0, 0.0, 0.75, 0.1, 0.05, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.0),
    "officer_urban": (0.05, 0.01, 0.06, 0.42, 0.1, 0.09, 0.06, 0.01, 0.06, 0.04, 0.08, 0.02),
    "officer_road": (0.18, 0.01, 0.0, 0.30, 0.12, 0.08, 0.04, 0.12, 0.05, 0.03, 0.05, 0.02),
    "night_drive": (0.1, 0.55, 0.0, 0.05, 0.0, 0.05, 0.05, 0.0, 0.0, 0.1, 0.1, 0.0),
}
OFFENCE_MIX = {k: np.asarray(v) / np.sum(v) for k, v in _MIX.items()}

# offence: [(officer text, fine in rupees, weight)]
OFFENCE_TEXT: dict[str, list[tuple[str, float, float]]] = {
    "overspeeding": [
        ("Sec 183 MVA - Over Speeding", 1000.0, 0.6),
        ("OVERSPEED", 1000.0, 0.2),
        ("u/s 183(1) over speeding LMV", 1000.0, 0.2),
    ],
    "drunk_driving": [
        ("Sec 185 MVA - Drunken Driving", 10000.0, 0.7),
        ("DRUNK AND DRIVE", 10000.0, 0.3),
    ],
    "red_light": [
        ("Sec 184 MVA - Red Light Jumping", 5000.0, 0.5),
        ("Sec 119/177 MVA - Disobeying Traffic Signal", 1000.0, 0.3),
        ("JUMPING RED LIGHT", 5000.0, 0.2),
    ],
    "no_helmet": [
        ("Sec 194D MVA - No Helmet", 1000.0, 0.6),
        ("WITHOUT HELMET", 1000.0, 0.2),
        ("u/s 129/194D riding w/o helmet (pillion)", 1000.0, 0.2),
    ],
    "no_seatbelt": [
        ("Sec 194B MVA - Without Seat Belt", 1000.0, 0.7),
        ("NO SEAT BELT", 1000.0, 0.3),
    ],
    "wrong_side": [
        ("Sec 184 MVA - Wrong Side Driving", 5000.0, 0.7),
        ("DRIVING ON WRONG SIDE", 5000.0, 0.3),
    ],
    "mobile_phone": [
        ("Sec 184(c) MVA - Using Mobile Phone While Driving", 5000.0, 0.7),
        ("MOBILE WHILE DRIVING", 5000.0, 0.3),
    ],
    "overloading": [
        ("Sec 194(1) MVA - Overloading", 20000.0, 0.7),
        ("OVER LOAD GOODS VEHICLE", 20000.0, 0.3),
    ],
    "lane_violation": [
        ("Sec 177A MVA - Lane Violation", 500.0, 0.6),
        ("NOT FOLLOWING LANE DISCIPLINE", 500.0, 0.4),
    ],
    "dangerous_driving": [
        ("Sec 184 MVA - Dangerous Driving", 5000.0, 0.7),
        ("RASH DRIVING", 5000.0, 0.3),
    ],
    "no_documents": [
        ("Sec 181 MVA - Driving Without Licence", 5000.0, 0.4),
        ("Sec 196 MVA - Without Insurance", 2000.0, 0.3),
        ("Sec 192 MVA - Without Registration", 5000.0, 0.2),
        ("NO DL", 5000.0, 0.1),
    ],
    "other": [
        ("Sec 177 MVA - General Offence", 500.0, 0.5),
        ("Sec 179 MVA - Disobedience of Orders", 2000.0, 0.2),
        ("Sec 190(2) MVA - Pollution (PUC) Violation", 10000.0, 0.2),
        ("Sec 194E MVA - Not Giving Way to Emergency Vehicle", 10000.0, 0.1),
    ],
}

VEHICLE_CLASSES = ("motorcycle", "car", "truck", "bus", "auto_rickshaw", "tractor", "lcv")
_GENERAL_VEHICLES = (0.35, 0.4, 0.1, 0.03, 0.07, 0.0, 0.05)
VEHICLE_MIX: dict[str, tuple[float, ...]] = {
    "no_helmet": (1.0, 0, 0, 0, 0, 0, 0),
    "no_seatbelt": (0, 0.8, 0.1, 0, 0, 0, 0.1),
    "overloading": (0, 0, 0.7, 0, 0, 0.1, 0.2),
    "drunk_driving": (0.4, 0.5, 0.1, 0, 0, 0, 0),
}
HEAVY = ("truck", "bus")
OVERLOAD_PER_TONNE = 2000.0


def draw_offences(context: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One offence code per challan given its enforcement context (a key of OFFENCE_MIX)."""
    out = np.empty(len(context), dtype=object)
    for ctx, p in OFFENCE_MIX.items():
        m = context == ctx
        out[m] = rng.choice(OFFENCES, int(m.sum()), p=p)
    return out.astype(str)


def draw_vehicles(offence: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Vehicle class per challan, conditional on the offence."""
    out = rng.choice(VEHICLE_CLASSES, len(offence), p=_GENERAL_VEHICLES).astype(object)
    for off, p in VEHICLE_MIX.items():
        m = offence == off
        out[m] = rng.choice(VEHICLE_CLASSES, int(m.sum()), p=np.asarray(p) / np.sum(p))
    return out.astype(str)


def draw_text_and_fine(
    offence: np.ndarray, vehicle: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Officer text and fine per challan (heavy vehicles pay double for speeding; overloading
    adds Rs 2,000 per excess tonne)."""
    text = np.empty(len(offence), dtype=object)
    fine = np.zeros(len(offence))
    for off, variants in OFFENCE_TEXT.items():
        m = np.flatnonzero(offence == off)
        w = np.array([v[2] for v in variants])
        pick = rng.choice(len(variants), len(m), p=w / w.sum())
        text[m] = np.array([v[0] for v in variants], dtype=object)[pick]
        fine[m] = np.array([v[1] for v in variants])[pick]
    heavy = np.isin(vehicle, HEAVY)
    fine = np.where((offence == "overspeeding") & heavy, 2000.0, fine)
    tonnes = rng.integers(1, 8, len(offence))
    fine = np.where(offence == "overloading", fine + OVERLOAD_PER_TONNE * tonnes, fine)
    return text.astype(str), fine
