"""Index layout of the engine's arrays: one named column per quantity.

Each patient is one row of these float64 arrays (leading axis = patient):

* ``state`` (N, N_STATE): integrated variables (volumes in mL, times in s, amounts in ug ...),
* ``derived`` (N, N_DERIVED): values the slow systems compute for the fast ones,
* ``inputs`` (N, N_INPUT): what conditions and interventions set (drug infusions in ug/min
  at ``INPUT_DRUG_BASE + drug``),
* ``params`` (N, N_PARAM): the individual patient's constants,
* trend rows (N, N_OUT): the recorded outputs, named in ``OUT_NAMES``.

Units of every column are listed in docs/physiology.md. The constants are plain ints so that
the compiled kernels see them as compile-time constants. Generated once, then kept by hand.
"""

from __future__ import annotations

# --- state
V_LV = 0
V_RV = 1
V_LA = 2
V_RA = 3
V_AO = 4
V_SC = 5
V_SV = 6
V_VC = 7
V_PA = 8
V_PC = 9
V_PV = 10
T_BEAT = 11
RR_CUR = 12
TMAX_CUR = 13
RHYTHM = 14
EMAX_BEAT = 15
BEAT_COUNT = 16
P_FILT = 17
HR_VAGAL = 18
HR_SYMP = 19
EMAX_FAC = 20
SVR_FAC = 21
VU_DELTA = 22
SYMP = 23
V_LUNG = 24
T_BREATH = 25
BREATH_T = 26
TI_CUR = 27
PMUS_AMP = 28
A_O2 = 29
A_CO2 = 30
F_D_O2 = 31
F_D_CO2 = 32
P_AW = 33
Q_AW = 34
P_MUS = 35
BREATH_ACTIVE = 36
C_V_O2 = 37
C_V_CO2 = 38
PACO2_CENT = 39
PAO2_PERI = 40
DRIVE = 41
C_A_O2 = 42
C_A_CO2 = 43
SPO2_LAG = 44
V_PTX_L = 45
V_PTX_R = 46
ACC_O2 = 47
ACC_CO2 = 48
RBC_ML = 49
PROTEIN_G = 50
V_INT_ML = 51
LACTATE = 52
T_CORE = 53
URINE_ML = 54
BLOOD_LOST_ML = 55
FLUID_IN_ML = 56
REMAIN_CRYST = 57
REMAIN_PRBC = 58
REMAIN_WB = 59
REMAIN_PLASMA = 60
M_ANA = 61
M_MYO = 62
T_ARREST = 63
T_ISCHEMIA = 64
IRREVERSIBLE = 65
ROSC_TIMER = 66
B_PMAX = 67
B_PMIN = 68
B_PSUM = 69
B_N = 70
B_VMAX = 71
B_VMIN = 72
B_PAMAX = 73
B_PAMIN = 74
B_PASUM = 75
B_QSUM = 76
B_PCVP = 77
B_PPCW = 78
L_SBP = 79
L_DBP = 80
L_MAP = 81
L_SV = 82
L_EDV = 83
L_ESV = 84
L_PAS = 85
L_PAD = 86
L_PAM = 87
L_HR = 88
L_CO = 89
L_CVP = 90
L_PCWP = 91
BR_VMAX = 92
BR_VMIN = 93
BR_PEF = 94
BR_ETCO2 = 95
BR_ECO2 = 96
BR_EVOL = 97
BR_PAWMAX = 98
BR_TI = 99
L_RR = 100
L_VT = 101
L_ETCO2 = 102
L_PEF = 103
L_IE = 104
L_VDVT = 105
L_PIP = 106
Q_SC_AVG = 107
P_SC_AVG = 108
Q_AORTIC_AVG = 109
P_AO_AVG = 110
P_CVP_AVG = 111
SLOW_N = 112
PLETH_LP = 113
URINE_RATE = 114
CAPNO = 115
P_SC_FILT = 116
SEPSIS_LEVEL = 117
TISSUE_O2 = 118
ACC_QPC = 119
TRANS_EPINEPHRINE = 120
DEPOT_EPINEPHRINE = 121
DEPOT2_EPINEPHRINE = 122
A1_EPINEPHRINE = 123
A2_EPINEPHRINE = 124
A3_EPINEPHRINE = 125
CE_EPINEPHRINE = 126
TRANS_NOREPINEPHRINE = 127
DEPOT_NOREPINEPHRINE = 128
DEPOT2_NOREPINEPHRINE = 129
A1_NOREPINEPHRINE = 130
A2_NOREPINEPHRINE = 131
A3_NOREPINEPHRINE = 132
CE_NOREPINEPHRINE = 133
TRANS_FENTANYL = 134
DEPOT_FENTANYL = 135
DEPOT2_FENTANYL = 136
A1_FENTANYL = 137
A2_FENTANYL = 138
A3_FENTANYL = 139
CE_FENTANYL = 140
TRANS_MORPHINE = 141
DEPOT_MORPHINE = 142
DEPOT2_MORPHINE = 143
A1_MORPHINE = 144
A2_MORPHINE = 145
A3_MORPHINE = 146
CE_MORPHINE = 147
TRANS_NALOXONE = 148
DEPOT_NALOXONE = 149
DEPOT2_NALOXONE = 150
A1_NALOXONE = 151
A2_NALOXONE = 152
A3_NALOXONE = 153
CE_NALOXONE = 154
TRANS_SUCCINYLCHOLINE = 155
DEPOT_SUCCINYLCHOLINE = 156
DEPOT2_SUCCINYLCHOLINE = 157
A1_SUCCINYLCHOLINE = 158
A2_SUCCINYLCHOLINE = 159
A3_SUCCINYLCHOLINE = 160
CE_SUCCINYLCHOLINE = 161
TRANS_ROCURONIUM = 162
DEPOT_ROCURONIUM = 163
DEPOT2_ROCURONIUM = 164
A1_ROCURONIUM = 165
A2_ROCURONIUM = 166
A3_ROCURONIUM = 167
CE_ROCURONIUM = 168
P_VRG_CO2 = 169
P_MUS_CO2 = 170

N_STATE = 171
DRUG_BASE = 120
DRUG_STRIDE = 7
DS_TRANS = 0
DS_DEPOT = 1
DS_DEPOT2 = 2
DS_A1 = 3
DS_A2 = 4
DS_A3 = 5
DS_CE = 6

# --- drugs
D_EPINEPHRINE = 0
D_NOREPINEPHRINE = 1
D_FENTANYL = 2
D_MORPHINE = 3
D_NALOXONE = 4
D_SUCCINYLCHOLINE = 5
D_ROCURONIUM = 6

N_DRUGS = 7
DRUG_NAMES = ("epinephrine", "norepinephrine", "fentanyl", "morphine", "naloxone", "succinylcholine", "rocuronium")

# --- derived
X_R_ART_EFF = 0
X_EMAX_LV_EFF = 1
X_EMAX_RV_EFF = 2
X_VU_SV_EFF = 3
X_HR_TARGET = 4
X_P_THORAX = 5
X_C_RS_EFF = 6
X_R_AW_EFF = 7
X_R_AW_EXP_EFF = 8
X_SHUNT = 9
X_VD_EFF = 10
X_HB = 11
X_PAO2 = 12
X_SAO2 = 13
X_PACO2 = 14
X_PH = 15
X_HCO3 = 16
X_BE = 17
X_CO_LPM = 18
X_VO2 = 19
X_VCO2 = 20
X_RR_TARGET = 21
X_PMUS_TARGET = 22
X_NMB = 23
X_E_OPIOID = 24
X_FIO2_EFF = 25
X_DRUG_TRANSIT_K = 26
X_PVO2 = 27
X_SVO2 = 28
X_DO2 = 29
X_T_SKIN = 30
X_OBSTRUCT_G = 31
X_Q_PC_INST = 32
X_SPARE_X2 = 33

N_DERIVED = 34

# --- inputs
I_HEM_RATE = 0
I_HEM_EXT_RATE = 1
I_CRYST_RATE = 2
I_PRBC_RATE = 3
I_WB_RATE = 4
I_PLASMA_RATE = 5
I_FIO2 = 6
I_AIRWAY = 7
I_VENT_MODE = 8
I_VENT_RATE = 9
I_VENT_VT = 10
I_VENT_PINSP = 11
I_VENT_PEEP = 12
I_VENT_IE = 13
I_ASTHMA = 14
I_ANAPHYLAXIS = 15
I_SEPSIS = 16
I_OBSTRUCTION = 17
I_APNEA = 18
I_PTX_L = 19
I_PTX_R = 20
I_PTX_L_OPEN = 21
I_PTX_R_OPEN = 22
I_PTX_L_VENT = 23
I_PTX_R_VENT = 24
I_PTX_L_SEAL = 25
I_PTX_R_SEAL = 26
I_CPR_RATE = 27
I_CPR_DEPTH = 28
I_DEFIB_J = 29

INPUT_DRUG_BASE = 30
N_INPUT = 37

# --- params
P_E_LV_MAX = 0
P_E_LV_MIN = 1
P_V0_LV = 2
P_E_RV_MAX = 3
P_E_RV_MIN = 4
P_V0_RV = 5
P_E_LA = 6
P_VU_LA = 7
P_E_RA = 8
P_VU_RA = 9
P_C_AO = 10
P_VU_AO = 11
P_C_SC = 12
P_VU_SC = 13
P_C_SV = 14
P_VU_SV = 15
P_C_VC = 16
P_VU_VC = 17
P_C_PA = 18
P_VU_PA = 19
P_C_PC = 20
P_VU_PC = 21
P_C_PV = 22
P_VU_PV = 23
P_R_MV = 24
P_R_AV = 25
P_R_TV = 26
P_R_PV = 27
P_R_ART = 28
P_R_CAP = 29
P_R_VEN = 30
P_R_VC = 31
P_R_PA = 32
P_R_PC = 33
P_R_PVLA = 34
P_HR0 = 35
P_MAP_SET = 36
P_BARO_K = 37
P_G_HR_V = 38
P_G_HR_S = 39
P_G_EMAX = 40
P_G_SVR = 41
P_G_VU = 42
P_TAU_HR_V = 43
P_TAU_HR_S = 44
P_TAU_EMAX = 45
P_TAU_SVR = 46
P_TAU_VU = 47
P_FRC_ML = 48
P_VD_ML = 49
P_C_RS = 50
P_R_AW = 51
P_RR0 = 52
P_TI_FRAC = 53
P_PMUS0 = 54
P_SHUNT0 = 55
P_PACO2_SET = 56
P_G_CO2 = 57
P_G_O2 = 58
P_G_H = 59
P_G_BP = 60
P_VO2_0 = 61
P_RQ = 62
P_HB0 = 63
P_BV0 = 64
P_WEIGHT_KG = 65
P_KF = 66
P_C_INT = 67
P_PROTEIN0_G = 68
P_VINT0 = 69
P_PSC0 = 70
P_UO0 = 71
P_LAC0 = 72
P_K_LAC = 73
P_T_SET0 = 74
P_V_CO2_STORE = 75  # scale of the tissue CO2 stores (1; 0.05 while calibrating)
P_V_O2_STORE = 76  # myoglobin O2 capacity (mL O2 at full saturation)
P_COPD = 77
P_ANEMIA = 78
P_CO0 = 79
P_MAP0 = 80
P_DO2_0 = 81
P_HCO3_0 = 82
P_W_SCALE = 83
P_AGE_YR = 84
P_SEX_FEMALE = 85
P_IBW_KG = 86

N_PARAM = 87

# --- trend outputs
O_TIME = 0
O_HR = 1
O_SBP = 2
O_DBP = 3
O_MAP = 4
O_PP = 5
O_CO = 6
O_SV = 7
O_EF = 8
O_EDV = 9
O_ESV = 10
O_CVP = 11
O_PCWP = 12
O_PAS = 13
O_PAD = 14
O_PAM = 15
O_SVR = 16
O_PVR = 17
O_BLOOD_VOLUME = 18
O_RR = 19
O_VT = 20
O_MV = 21
O_VD_VT = 22
O_IE_RATIO = 23
O_SPO2 = 24
O_ETCO2 = 25
O_PAO2 = 26
O_PACO2 = 27
O_PH = 28
O_HCO3 = 29
O_BASE_EXCESS = 30
O_LACTATE = 31
O_HB = 32
O_T_CORE = 33
O_T_SKIN = 34
O_URINE_RATE = 35
O_URINE_TOTAL = 36
O_FIO2 = 37
O_PEF = 38
O_PIP = 39
O_RHYTHM = 40
O_SVO2 = 41
O_DO2 = 42
O_VO2 = 43
O_BLOOD_LOST = 44
O_FLUID_IN = 45
O_INTERSTITIAL = 46
O_PTX_L = 47
O_PTX_R = 48
O_C_EPINEPHRINE = 49
O_C_NOREPINEPHRINE = 50
O_C_FENTANYL = 51
O_C_MORPHINE = 52
O_C_NALOXONE = 53
O_C_SUCCINYLCHOLINE = 54
O_C_ROCURONIUM = 55
O_E_OPIOID = 56
O_NMB = 57
O_SYMPATHETIC = 58
O_MYO_O2 = 59
O_ARREST_TIME = 60
O_IRREVERSIBLE = 61

N_OUT = 62
OUT_NAMES = (
    "time",
    "hr",
    "sbp",
    "dbp",
    "map",
    "pp",
    "co",
    "sv",
    "ef",
    "edv",
    "esv",
    "cvp",
    "pcwp",
    "pas",
    "pad",
    "pam",
    "svr",
    "pvr",
    "blood_volume",
    "rr",
    "vt",
    "mv",
    "vd_vt",
    "ie_ratio",
    "spo2",
    "etco2",
    "pao2",
    "paco2",
    "ph",
    "hco3",
    "base_excess",
    "lactate",
    "hb",
    "t_core",
    "t_skin",
    "urine_rate",
    "urine_total",
    "fio2",
    "pef",
    "pip",
    "rhythm",
    "svo2",
    "do2",
    "vo2",
    "blood_lost",
    "fluid_in",
    "interstitial",
    "ptx_l",
    "ptx_r",
    "c_epinephrine",
    "c_norepinephrine",
    "c_fentanyl",
    "c_morphine",
    "c_naloxone",
    "c_succinylcholine",
    "c_rocuronium",
    "e_opioid",
    "nmb",
    "sympathetic",
    "myo_o2",
    "arrest_time",
    "irreversible",
)

# --- rhythms (state RHYTHM holds one of these codes)
RH_SINUS = 0
RH_AF = 1
RH_VT = 2
RH_VF = 3
RH_ASYSTOLE = 4
RH_PEA = 5
RHYTHM_NAMES = (
    "sinus",
    "atrial_fibrillation",
    "ventricular_tachycardia",
    "ventricular_fibrillation",
    "asystole",
    "pea",
)

# --- airway codes (input AIRWAY)
AW_NATURAL = 0
AW_TRACHEAL = 1
AW_ESOPHAGEAL = 2
AW_RIGHT_MAINSTEM = 3
AW_LEFT_MAINSTEM = 4

# --- ventilation modes (input VENT_MODE)
VM_OFF = 0
VM_VC = 1
VM_PC = 2
VM_BVM = 3
