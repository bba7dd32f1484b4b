#!/usr/bin/env python3
"""Independent synthetic evaluation set for the vetting identity matcher.

Writes set/registry.jsonl (listed people) and set/queries.jsonl (checks) in the
same format as /work/shared/eval/identity-public.  Python 3.11, standard library
only, deterministic (fixed seed; nothing depends on hash order).

    python3 gen.py [--out DIR] [--seed N]

Written blind to the matcher: the only inputs are the public README, the public
set's format and /work/shared/data/nicknames.csv (used only to be *more*
conservative when checking that negatives are not forms of a listed name).
"""
import argparse
import csv
import datetime as dt
import itertools
import json
import os
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

SEED = 20250611
HERE = os.path.dirname(os.path.abspath(__file__))
NICK_CSV = "/work/shared/data/nicknames.csv"
N_REGISTRY = 5000


def L(s):
    """Split a data string: on '|' when present (names with spaces), else on whitespace."""
    if "|" in s:
        return [x.strip() for x in s.split("|") if x.strip()]
    return s.split()


def dedupe(seq):
    seen, out = set(), []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


class Pool:
    """Names with Zipf-like weights by list order (first = most common)."""

    def __init__(self, names, s=0.7, boost=None):
        self.names = dedupe(names)
        w = [1.0 / (i + 1) ** s for i in range(len(self.names))]
        for n, f in (boost or {}).items():
            w[self.names.index(n)] *= f
        self.cum = list(itertools.accumulate(w))

    def pick(self, rng):
        return rng.choices(self.names, cum_weights=self.cum)[0]

    def __contains__(self, x):
        return x in self.names


# =============================================================================
# Name data
# =============================================================================
# --- English/British given names by birth era (roughly by popularity) -------
ERA_M = [
    L("""David John Michael Peter Stephen Paul Robert Alan Christopher Richard Anthony Andrew Ian Keith
      Brian Graham Kevin Martin Philip Gary Colin Trevor Derek Geoffrey Roger Terence Raymond Kenneth
      William James Thomas Malcolm Barry Nigel Neil Mark Stuart Dennis Ronald Leonard Frederick Harold
      Gordon Clive Roy Edward Douglas Bernard Lawrence Patrick Timothy Jeremy Francis Henry Charles
      Albert Alfred Noel Walter Gerald Vincent Adrian Howard Russell Julian"""),
    L("""Paul Mark David Andrew Richard Christopher James Simon Michael Matthew Stephen Lee Jason Darren
      Ian Neil Robert Gary Craig Scott Wayne Dean Carl Martin Anthony Jonathan Timothy Nicholas Daniel
      Steven Kevin Stuart Philip Peter John Shaun Glen Russell Adam Sean Gareth Jeremy Barry Duncan
      Justin Toby Marcus Damian Adrian Dominic Gavin Jamie Ross Alexander Edward William Thomas Benjamin
      Julian Vincent Terry Tony Jerome Darrell Clive Jonathan Henry Charles Patrick Derek"""),
    L("""Christopher James Daniel David Michael Matthew Andrew Richard Paul Mark Thomas Adam Robert John
      Lee Benjamin Steven Jonathan Craig Stephen Simon Nicholas Peter Anthony Alexander Gary Ian Ryan
      Luke Jamie Stuart Philip Darren William Gareth Martin Kevin Scott Dean Joseph Jason Neil Samuel
      Carl Ben Sean Timothy Oliver Ashley Wayne Edward Shaun Aaron Kieran Liam Joshua Jack Nathan
      Callum Connor Jordan Kyle Ricky Danny Tom Sam Dominic Bradley Karl Leon Marc Rhys Lewis Jake Alex
      Charlie George Harry Elliot Owen Dale Gavin Henry Charles Frederick Zachary Sebastian Jerome"""),
    L("""Jack Thomas James Joshua Daniel Harry Samuel Joseph Matthew Callum Luke William Lewis Oliver
      Ryan Benjamin George Liam Jordan Adam Alexander Jake Connor Cameron Nathan Kieran Jamie Charlie
      Alfie Ethan Dylan Tyler Bradley Kyle Reece Charles Edward Max Owen Michael Aaron Brandon Henry Sam
      Archie Billy Louis Rhys Toby Alex Jacob Harrison Finley Joe Kai Ben Leo Theo Freddie Elliot Declan
      Mason Morgan Jay Reuben Frederick Zachary Sebastian Christopher David Robert Joel Alfred"""),
]
ERA_F = [
    L("""Susan Linda Christine Margaret Janet Patricia Carol Elizabeth Mary Anne Jacqueline Pauline
      Julie Karen Sandra Jennifer Lesley Gillian Elaine Deborah Valerie Barbara Jean Kathleen Maureen
      Brenda Sheila Diane Wendy Angela Helen Catherine Jane Alison Lynn Denise Hazel Judith Marion Ann
      Dorothy Joan Irene Doreen Beryl Sylvia Frances Rosemary Teresa Bernadette Hilary Yvonne Marilyn
      Josephine Eileen Glenys Pamela Sharon Dawn Caroline Theresa Rosalind Eleanor Marjorie"""),
    L("""Sarah Claire Nicola Emma Lisa Joanne Michelle Helen Samantha Karen Amanda Rachel Louise Julie
      Clare Rebecca Sharon Victoria Caroline Susan Alison Catherine Elizabeth Deborah Donna Tracey
      Jennifer Kelly Angela Dawn Kerry Joanna Natalie Zoe Hayley Kathryn Jacqueline Andrea Wendy Paula
      Melanie Sally Suzanne Tina Gemma Lucy Anna Katherine Fiona Jane Kate Heidi Kirsty Marie Maria Ruth
      Lorraine Beverley Gillian Mandy Gail Teresa Alexandra Anne-Marie Christina Tracy Rebekah Justine"""),
    L("""Sarah Laura Gemma Emma Rebecca Claire Victoria Samantha Rachel Amy Jennifer Nicola Katie Lisa
      Kelly Natalie Louise Michelle Hayley Hannah Stephanie Lauren Charlotte Jessica Zoe Sophie Amanda
      Danielle Emily Kirsty Jade Leanne Kerry Catherine Elizabeth Joanne Lucy Stacey Helen Kimberley
      Chloe Sian Jodie Holly Megan Abigail Georgina Alice Eleanor Katherine Kathryn Alexandra Carly
      Charlene Donna Jenna Kayleigh Naomi Sally Toni Anna Fiona Lindsay Lyndsey Heather Leah Natasha
      Rosie Harriet Francesca Joanna Jacqueline Ellie Hollie Aimee Sadie Chelsea Zoë Isabel Rebekah"""),
    L("""Emily Jessica Sophie Chloe Lauren Hannah Ellie Charlotte Rebecca Amy Megan Olivia Bethany Lucy
      Katie Emma Georgia Holly Abigail Jade Grace Molly Shannon Courtney Sarah Paige Laura Eleanor
      Amelia Niamh Caitlin Ella Rachel Phoebe Jasmine Leah Millie Elizabeth Isabella Zoe Danielle
      Natasha Kayleigh Aimee Libby Evie Freya Erin Jodie Alice Anna Rosie Mia Lily Isabelle Poppy Summer
      Keira Ruby Tia Eve Jennifer Samantha Victoria Kirsty Alisha Demi Lily-Mae Ellie-Mae Chloë Zoë
      Harriet Imogen Matilda Beatrice Florence"""),
]
MID_M = L("""James John David Michael Paul Lee Anthony Thomas William Robert Edward George Alexander Peter
             Andrew Richard Charles Joseph Daniel Christopher Mark Stephen Jack Henry Alan Francis""")
MID_F = L("""Louise Marie Jane Anne Elizabeth Mae Rose Grace May Victoria Claire Ann Jayne Michelle Lucy
             Emma Catherine Frances Margaret Alice Mary Jean Helen Louisa Rachel Patricia""")

SCOT_M = L("""Alasdair Alistair Iain Hamish Fraser Callum Ewan Euan Angus Murdo Ruaridh Calum Craig Graeme
              Gordon Douglas Kenneth Duncan Alexander Andrew John James David Robert Stuart Scott Ross
              Kyle Lewis Finlay Struan Gregor Innes Lachlan Niall Neil Malcolm Colin Alan Archibald""")
SCOT_F = L("""Kirsty Morag Catriona Isla Eilidh Fiona Mhairi Ailsa Shona Heather Lorna Moira Elspeth
              Margaret Jean Isobel Iona Kirstie Rhona Karen Lesley Gillian Mairi Ishbel Catherine Joanne
              Gemma Amy Rachel Laura Lindsay Elizabeth""")
WELSH_M = L("""Rhys Dafydd Gethin Iwan Dylan Owain Gareth Huw Ieuan Emyr Aled Geraint Rhodri Cai Osian
               Gwyn Dewi Bryn Idris Meirion Elwyn Hywel Ifan Tomos Carwyn Gruffydd Llewellyn Rhydian
               Llŷr David John""")
WELSH_F = L("""Cerys Angharad Bethan Sioned Gwen Eleri Ffion Siân Nia Lowri Catrin Rhian Megan Carys Elin
               Mari Seren Manon Glenys Myfanwy Heledd Gwenllian Nerys Gwyneth Delyth Sian Rhiannon""")
IRISH_M = L("""Seán Sean Ciarán Declan Conor Liam Éamonn Eamonn Pádraig Padraig Colm Dermot Fergal Aidan
               Brendan Kevin Gerard Niall Ronan Cathal Cormac Diarmuid Eoin Darragh Oisín Tadhg Séamus
               Seamus Patrick Michael John Thomas Martin Kieran Shane Donal Fionn Ciaran Cornelius""")
IRISH_F = L("""Siobhán Siobhan Niamh Aoife Caoimhe Róisín Roisin Orla Sinéad Sinead Bríd Bernadette
               Bridget Mairead Máiréad Gráinne Eimear Clodagh Aisling Ciara Deirdre Maeve Úna Áine Bronagh
               Saoirse Sorcha Nuala Fionnuala Orlaith Mary Catherine Margaret Ann Kathleen Teresa""")
CARIB_M = L("""Leroy Delroy Winston Desmond Clive Everton Tyrone Jermaine Marlon Andre Jerome Kemar Tyrese
               Jamal Kareem Dwayne Errol Lloyd Trevor Devon Courtney Wesley Carlton Neville Curtis
               Marcus Jordan Reuben Jaden""")
CARIB_F = L("""Marcia Beverley Sonia Yvonne Hyacinth Paulette Althea Shanice Jasmine Chantelle Simone
               Tanisha Keisha Sharlene Monique Janelle Natalie Charmaine Sharon Donna Michelle Camille
               Shantelle Aaliyah""")

ENG_FAM1 = L("""Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
    Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Jackson Wood Turner Martin
    Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson
    Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell
    Shaw Murphy Miller Cox Richards Marshall Anderson Simpson Ellis Adams Wilkinson Foster Chapman Powell
    Webb Rogers Gray Mason Hunt Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler
    Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Fletcher Walsh Gibson Howard
    Andrews Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson
    Bradley Spencer Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis
    Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods
    Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy
    Williamson Bird Gardner Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson
    Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson
    Curtis Hopkins O'Connor Harper Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy
    Wheeler Potter Osborne Johnston Gordon Doyle Wallace George Jordan Hutchinson""")
ENG_FAM2 = L("""Higgins Ashworth Bartlett Blackburn Bowen Brennan Buckley Cartwright Chadwick Cunningham
    Dale Dobson Duffy Farmer Fowler Frost Gill Glover Goodwin Hancock Hargreaves Hartley Haynes Heath
    Hewitt Holden Holt Horton Howell Jarvis Jennings Kay Kemp Kirby Lamb Lambert Lawson Leach Lucas Lynch
    Mann Marsden Maxwell May Mellor Metcalfe Moran Norris Norton O'Sullivan Parkinson Pickering Preston
    Pritchard Quinn Randall Read Rhodes Rowe Sanderson Schofield Sheppard Slater Stephenson Summers
    Swift Talbot Thornton Tomlinson Townsend Tucker Vaughan Waller Walters Warner Whitehead Wilkins Wyatt
    Barlow Barton Bolton Brady Briggs Bull Cairns Chandler Charlton Clayton Connolly Crawford Crossley
    Davidson Dickinson Dodd Doherty Duncan Eaton Emery Fenwick Field Finch Fleming Flynn Fuller
    Gallagher Gough Gould Greenwood Hale Hammond Hanson Hilton Hobbs Hodges Howe Hurst Ingram Jacobs
    Kent Kirk Knowles Lord Lyons Marriott Middleton Milner Nash Naylor Nelson Noble O'Donnell Pope Pratt
    Rawlinson Rigby Rowley Sargent Sims Skinner Steele Storey Sykes Thorpe Tyler Wade Whitaker Winter
    Woodward Worthington Ashton Beckett Birch Blake Bond Bray Bright Bryant McKenzie McLean McGregor
    McIntyre McKay McMillan O'Reilly O'Hara McLaughlin McConnell McCartney McGee McGill McLeod Muller Fairclough Entwistle Greenhalgh Ramsbottom
    Butterworth Pilkington Ollerenshaw Heseltine Featherstone Tattersall Postlethwaite Cholmondeley
    Featherstonehaugh Beauchamp St John|St Clair""".replace("\n", " ").replace("Beauchamp St John|St Clair", "Beauchamp"))
ENG_FAM2 += ["St John", "St Clair"]

SCOT_FAM = L("""Smith Brown Wilson Campbell Stewart Thomson Robertson Anderson MacDonald McDonald Scott Reid
    Murray Taylor Clark Ross Watson Morrison Paterson Young Mitchell Walker Fraser Miller McKenzie
    Mackenzie Gray Henderson Hamilton Johnston Duncan Graham Ferguson Kerr Davidson Bell Cameron Kelly
    Martin Hunter Allan MacLeod McLeod Macleod Grant Mackay McKay Wallace Black Marshall Simpson
    Sinclair Munro Murdoch Gordon Kennedy Burns Hughes MacLean McLean Maclean Russell Docherty MacGregor
    McGregor MacKinnon McKinnon MacIntyre McIntyre MacMillan McMillan MacPherson McPherson MacLachlan
    McLachlan MacFarlane McFarlane MacNeil McNeil MacAulay McAulay MacDougall McDougall MacInnes McInnes
    MacEwan McEwan MacLaren McLaren Buchanan Crawford Drummond Forbes Fleming Lindsay Logan Lamont Baird
    Boyd Dunlop Gillespie Guthrie Hay Kirk Laing Lyall Moffat Nicol Ogilvie Rennie Shearer Sutherland
    Urquhart Wylie Galbraith Aitken Baxter Cowan Cumming Dickson Gibb Gunn Innes Kidd Lennox Meikle
    Menzies Pollock Rae Ritchie Strachan Tait Wishart McAllister MacAllister McCormack MacCormack""")
WELSH_FAM = L("""Jones Williams Davies Evans Thomas Roberts Lewis Hughes Morgan Griffiths Edwards Owen James
    Rees Jenkins Price Lloyd Phillips Powell Parry Pritchard Bowen Vaughan Howells Morris Llewellyn Pugh
    Prosser Probert Bevan Meredith Watkins Harries Hopkins Rowlands Gwynne Wynne Griffith Protheroe
    Pryce Llywelyn Tudor Madoc Gethin Prydderch|ap Rhys|ap Gwilym|ap Dafydd""".replace("\n", " ").replace("Prydderch|ap Rhys|ap Gwilym|ap Dafydd", "Prydderch"))
WELSH_FAM += ["ap Rhys", "ap Gwilym", "ap Dafydd"]
IRISH_FAM = L("""Murphy Kelly O'Brien Byrne Ryan O'Sullivan Walsh O'Connor McCarthy Doyle Gallagher O'Neill
    Doherty Kennedy Lynch Murray Quinn Moore McLoughlin O'Reilly Brennan Burke Collins Campbell Clarke
    Johnston Hughes Farrell Fitzgerald Brown Martin Maguire Nolan Flynn Thompson O'Callaghan O'Donnell
    Duffy O'Mahony Boyle Healy O'Shea White Sweeney Hayes Kavanagh Power McGrath Moran Brady Casey Foley
    Fitzpatrick O'Leary McDonnell McMahon MacMahon Donnelly Regan Donovan Burns Flanagan Mullan Barry
    Kane Cunningham Griffin Kenny Sheehan Ward Whelan Lyons Reid Higgins Cullen Keane King Maher McKenna
    Hogan O'Keeffe Magee McNamara MacNamara McDermott O'Rourke Buckley O'Dwyer O'Donoghue O'Driscoll
    O'Kane O'Toole O'Grady O'Malley O'Hara O'Connell O'Gorman McManus MacManus McGuinness McCann McCabe
    McAleese McGuire O'Flaherty O'Halloran Ní Bhriain""".replace("Ní Bhriain", ""))
CARIB_FAM = L("""Campbell Brown Williams Thompson Grant Francis Bailey Reid Clarke Morgan Henry Gordon Gayle
    Samuels McKenzie Forbes Beckford Blake Powell Richards Lewis Bennett Allen Edwards Robinson Johnson
    Smith Walker Graham Wright Hylton Lindo Barrett Ellis Fraser Gooden Haye Lawrence Miller Morris Nelson
    Palmer Pinnock Spencer Stewart Wallace Watson Whyte Bryan Chambers Dixon Ferguson""") + ["Da Costa"]

ARISTO_DB = L("""Bowes-Lyon Parker-Bowles Lloyd-Webber Rees-Mogg Ashley-Cooper Hughes-Hallett Armstrong-Jones
    Baden-Powell Vaughan-Williams Wynne-Jones Owen-Jones Lloyd-Jones Spencer-Churchill Fox-Pitt
    Sebag-Montefiore Bonham-Carter Lane-Fox Hamilton-Smith Heathcote-Amory Montagu-Scott
    Cavendish-Bentinck Fiennes-Clinton Pryce-Jones Llewellyn-Davies Rhys-Williams Gordon-Lennox
    Douglas-Home Mackenzie-Smith Stewart-Clark Scott-Thomas Brooke-Taylor Hope-Wallace Kerr-Smith
    Garrett-Cox Palmer-Tomkinson Harvey-Kelly Edwards-Jones Fox-Strangways Lloyd-Davies Morgan-Owen
    Price-Davies Jones-Parry Ogilvy-Grant Beresford-Peirse Cunliffe-Owen Knatchbull-Hugessen
    Anstruther-Gough-Calthorpe? Warrender-Grant Worsley-Taylor Hely-Hutchinson""".replace(" Anstruther-Gough-Calthorpe?", ""))

# --- South Asian ------------------------------------------------------------
MOH = Pool(["Mohammed", "Muhammad", "Mohammad", "Mohamed", "Muhammed", "Mohamad"], s=1.1)
PAK_M = L("""Imran Tariq Asif Zubair Adnan Kamran Bilal Usman Faisal Shahid Nadeem Naveed Sajid Zahid
    Rizwan Amjad Abid Arshad Waqas Hamza Ali Ahmed Hassan Yasir Irfan Khalid Ayaan Zain Aadil Haroon Asad
    Fahad Junaid Saqib Shakeel Waseem Zeeshan Ibrahim Yusuf Umar Abdullah Mustafa Omar Tahir Javed""")
PAK_F = L("""Ayesha Fatima Sadia Nadia Saima Shazia Rubina Nasreen Samina Amina Zainab Maryam Hina Sana
    Aisha Iqra Mehwish Farzana Khadija Noreen Parveen Rukhsana Tahira Bushra Sobia Uzma Asma Mariam
    Yasmin Zara Alisha Hafsa Aleena Anum Madiha Naila""")
PAK_FAM = Pool(L("""Khan Ali Hussain Ahmed Akhtar Iqbal Mahmood Shah Butt Rashid Malik Aslam Anwar Chaudhry
    Qureshi Javed Sadiq Raza Mirza Sheikh Mir Latif Rehman Younis Yousaf Saleem Nawaz Riaz Hanif Ashraf
    Bashir Hameed Arshad Mughal Rafiq Zaman Naseem Abbasi Awan Dar Kiani Bhatti Rana Sultan Tahir Aziz
    Nazir Ahmad Raja Chaudhary"""), s=0.9)
BD_M = L("""Abdul Mizanur Shahidul Rafiqul Shofiqul Abul Jamal Kamal Ruhul Sayful Anwar Faruk Jahangir
    Shahid Mamun Rashed Sohel Habibur Ashraf Monir Nazrul Saiful Rezaul Atiqur Ayaan Rayhan Tanvir Imran
    Rakib Yusuf Ibrahim""")
BD_F = L("""Shahida Rokeya Shirin Taslima Nazma Salma Hasina Ruksana Jesmin Sumaiya Fatema Nasima Parvin
    Shamima Rehana Sabina Tahmina Farhana Nadia Sadia Tasnim Fahmida Afsana Runa Jannat Aisha Khadija""")
BD_FAM = Pool(L("""Miah Uddin Rahman Islam Ahmed Hossain Ali Chowdhury Hoque Haque Alam Sarkar Talukder
    Khan Ullah Mia Bhuiyan Choudhury Karim Hussain Amin"""), s=0.8)
BD_FAM_F = Pool(L("Begum Khatun Akter Bibi Nessa"), s=0.9)
IND_M = L("""Rajesh Sanjay Amit Vijay Anil Sunil Rakesh Ashok Dinesh Hitesh Nilesh Mukesh Suresh Ramesh
    Pradeep Deepak Nikhil Rohan Arjun Ravi Kiran Mahesh Jayesh Ketan Chirag Vikram Raj Sandeep Manoj
    Alpesh Bhavesh Paresh Kishan Rahul Vivek Karan Dev Anish Tejas Krishna""")
IND_F = L("""Priya Anita Sunita Geeta Pooja Neha Nisha Meera Asha Rekha Kavita Hema Bhavna Jyoti Sonal
    Kajal Hetal Lakshmi Deepika Shreya Anjali Sita Shilpa Rupal Nita Bina Jaya Usha Smita Radhika Divya
    Komal Ria Anika Shalini Ritu Seema Preeti""")
IND_FAM = Pool(L("""Patel Shah Mistry Sharma Parmar Chauhan Solanki Joshi Gupta Kumar Mehta Desai Pandya
    Modi Lad Thakrar Kotecha Vadher Chavda Makwana Gohil Rana Verma Varma Srivastava Mukherjee Banerjee
    Chatterjee Nair Menon Pillai Reddy Rao Iyer Krishnan Raman Bhatt Trivedi Dave Pandey Mishra Tiwari
    Agarwal Jain Kapoor Malhotra Khanna Chopra Bhatia Das Ghosh Bose Sen Naidu Shetty"""), s=0.8,
               boost={"Patel": 4.0})
SIKH_M = L("""Gurpreet Harjit Jaswinder Sukhwinder Manjit Kuldip Kuldeep Balwinder Rajinder Paramjit
    Amarjit Harpreet Jagdeep Navdeep Ranjit Gurdeep Gurdip Inderjit Satnam Jaspal Harvinder Jasdeep
    Mandeep Sandeep Tejinder Bhupinder Gurjit Jasvir Sukhdev Gurmit Harbans Daljit Karamjit Parminder
    Kulwant Surinder Amrik Jagjit Hardeep Ravinder Amandeep""")
SIKH_F = L("""Gurpreet Harjinder Kulwinder Manpreet Simran Jasbir Rupinder Navjot Harpreet Jaswinder
    Sukhjit Amarjit Kiran Rajvinder Jaspreet Mandeep Balbir Surjit Navneet Gurvinder Taranjit Ravneet
    Harleen Simranjit Jasleen Amrit Kamaljit""")
SIKH_FAM = Pool(L("""Sandhu Sidhu Gill Dhillon Grewal Bains Johal Sahota Bassi Atwal Kang Sangha Dhaliwal
    Virdi Bhamra Rai Chahal Hayer Kalsi Mann Sohal Basra Bhogal Dhami Heer Kooner Randhawa Sekhon Uppal
    Bansal Jandu Birdi Matharu Sohi"""), s=0.6)
GOAN_M = L("Anthony Francis Joseph Agnelo Savio Melwyn Clifford Ivan Neville Cyril Rodney Lawrence")
GOAN_F = L("Maria Sharon Fatima Lorraine Natasha Sonia Rosemary Priscilla Gloria Alisha Joanne Melissa")
GOAN_FAM = Pool(L("""D'Souza Fernandes D'Costa Pereira D'Mello Rodrigues D'Cruz Pinto Gomes Dias D'Silva
    Menezes Noronha Coutinho Rebello Lobo D'Sa"""), s=0.6)

# --- African ----------------------------------------------------------------
AFR_XM = L("""Emmanuel Samuel David Daniel Joseph Victor Michael Peter Paul Stephen John Godwin Solomon
    Isaac Benjamin Joshua Gabriel""")
AFR_XF = L("""Grace Blessing Precious Mercy Esther Deborah Faith Joy Gift Peace Favour Patience Comfort
    Praise Elizabeth Mary Ruth Victoria Abigail Gloria""")
YOR_M = L("""Oluwaseun Olumide Babatunde Adebayo Ayodele Oluwafemi Temitope Olusegun Kayode Tunde Femi
    Dapo Bolaji Abiodun Oladipo Damilola Adewale Oluwatobi Olawale Ayomide Gbenga Segun Kunle Tobi Sola
    Wale Yinka Seun""")
YOR_F = L("""Folake Funmilayo Adenike Oluwakemi Yetunde Titilayo Bukola Abimbola Omolara Busola Temitope
    Damilola Modupe Oluwaseyi Adeola Bisola Kemi Funke Tolulope Ayomide Morenike Oyinkansola Iyabo Toyin
    Opeyemi Omotola""")
YOR_FAM = Pool(L("""Adeyemi Adebayo Ogunleye Adeleke Olawale Adeniyi Oladipo Bankole Akinola Ogundipe
    Oyelaran Balogun Adewale Afolabi Olaniyan Oyedepo Adesanya Akande Babatunde Ojo Ajayi Ogunbiyi
    Adeyinka Akinwale Oyewole Fashola Olatunji Ogunsanya Adegoke Oyeleye Okunola Salami Adebisi Alade
    Fagbemi Adekunle Ogunlana Oshodi Sanusi Lawal Bello"""), s=0.5)
IGBO_M = L("""Chukwuemeka Chinedu Obinna Ikenna Emeka Uchenna Chidi Nnamdi Ifeanyi Kelechi Chibuzo
    Chijioke Chukwudi Ebuka Nonso Somto Tochukwu Onyekachi Kenechukwu Okechukwu Ugochukwu Chimezie""")
IGBO_F = L("""Ngozi Chioma Adaeze Nkechi Chiamaka Ifeoma Amaka Chinwe Uzoma Adaora Chinonso Chidinma
    Obioma Nneka Ogechi Ijeoma Chinyere Amarachi Ebere Onyinye Uchechi Nkiru""")
IGBO_FAM = Pool(L("""Okafor Okonkwo Nwosu Eze Okeke Obi Nwachukwu Onyeka Okoro Chukwu Nwankwo Uche Ibe
    Okoye Ezeh Anyanwu Nnadi Onuoha Nwafor Igwe Agu Obiora Okwu Nweke Ugwu Nwaogu Ejiofor Ofoegbu Okpara
    Onwuka Nzeribe Iwu Ekwueme Obasi Achebe Nnamani Chukwuma Madu"""), s=0.5)
GHA_M = L("Kwame Kofi Kwabena Kojo Kwaku Yaw Kwesi Kwadwo Kobina Ekow Fiifi")
GHA_F = L("Akosua Ama Abena Adwoa Efua Akua Yaa Esi Afua Adjoa Araba Maame")
GHA_FAM = Pool(L("""Mensah Asante Owusu Boateng Osei Appiah Agyeman Acheampong Darko Amoah Antwi Badu
    Ofori Opoku Gyamfi Sarpong Danquah Addo Quaye Annan Ansah Asamoah Bonsu Donkor Frimpong Kyei Nkrumah
    Ntim Obeng Oppong Tetteh Quartey Yeboah Amponsah Adjei Amankwah Bediako Manu Asiedu Aidoo Boakye"""), s=0.5)
SOM_M = L("""Abdi Abdirahman Abdullahi Mohamed Ahmed Hassan Hussein Ali Omar Yusuf Ismail Mahad Abdirizak
    Farah Liban Mukhtar Bashir Abdikarim Hamza Yasin Mustafe Guled Khadar""")
SOM_F = L("""Fadumo Hodan Amina Asha Ayaan Halima Hawa Sahra Ubah Nimco Sagal Khadra Ifrah Ilhan Maryan
    Hibo Deeqa Ladan Idil Hamdi Muna Samira Zamzam""")
SOM_FAM = Pool(L("""Mohamed Ahmed Hassan Farah Ali Abdi Omar Warsame Jama Osman Aden Egal Nur Duale Hirsi
    Ismail Abdullahi Yusuf Hussein Abdulle Elmi Gure Mohamud Adan Dahir Ibrahim Isse Noor Roble Salad
    Samatar Shire Hersi"""), s=0.6)

# --- Arabic / Turkish / Greek ------------------------------------------------
ARAB_M = L("""Mohammed Mohamed Ahmad Ahmed Mahmoud Omar Khaled Youssef Mustafa Ibrahim Hussein Ali Hassan
    Karim Tarek Samir Walid Nabil Rami Fadi Hisham Ammar Bilal Sami Ziad Hamza Yasser Majid Adel Faisal
    Nasser Saif Anas Abdullah Abdulrahman Jamal Osama Hamid Rashid Amir Muhammad""")
ARAB_F = L("""Fatima Mariam Nour Layla Rania Dina Hana Yasmin Amira Salma Lina Reem Samira Huda Zeinab Aya
    Noor Maryam Leila Rasha Sara Hiba Malak Jana Dalia Mona Nadia Rana Ghada Asma Iman Khadija Aisha""")
ARAB_FAM = Pool(L("""Hassan Ibrahim Abdallah El-Masri Haddad Khalil Nasser Saleh Mansour Aziz Hamdan Jaber
    Farouk Suleiman Othman Karim Al-Amin Al-Rashid Al-Hashimi El-Sayed Abbas Ahmed Ali Mahmoud Mustafa
    Hussein Youssef Salem Habib Issa Awad Darwish Najjar Khoury Saad Sabbagh Kassem Zaki Al-Jaber
    Al-Mansouri Al-Khatib Al-Tamimi Al-Obaidi Al-Azzawi Al-Hakim"""), s=0.6)
TURK_M = L("""Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Emre Burak Murat Serkan Kemal Osman
    Yusuf Ömer Can Cem Erkan Volkan Tolga Barış Oğuz Gökhan""")
TURK_F = L("""Elif Ayşe Fatma Zeynep Özlem Gülşen Emine Hatice Merve Büşra Derya Esra Gül Songül Sevgi
    Aylin Ebru Şule Selin Dilek Yasemin Tuğba""")
TURK_FAM = Pool(L("""Yılmaz Kaya Demir Şahin Çelik Yıldız Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan
    Çetin Kara Koç Kurt Özkan Şimşek Polat Erdoğan Yıldırım Güneş Akın Aksoy Tekin Ünal Bulut Korkmaz
    Turan Acar Güler"""), s=0.6)
GREEK_M = L("""Andreas Christos Constantinos Konstantinos Georgios Nikolaos Dimitrios Ioannis Panayiotis
    Michalis Stavros Kyriakos Marios Savvas Yiannis Demetris Antonis Petros""")
GREEK_F = L("""Maria Eleni Despina Androulla Katerina Sofia Georgia Christina Anna Panayiota Stella
    Chrystalla Maroulla Niki Athena Ioanna Vasiliki Anastasia Irene""")
GREEK_FAM = Pool(L("""Georgiou Papadopoulos Christodoulou Constantinou Ioannou Charalambous Nicolaou Andreou
    Demetriou Kyriacou Savva Panayiotou Christou Antoniou Petrou Stylianou Hadjipavlou Economou Pavlou
    Theodorou Kyprianou Loizou Efstathiou Papageorgiou"""), s=0.5)

# --- European ---------------------------------------------------------------
POL_M = L("""Łukasz Piotr Krzysztof Tomasz Paweł Michał Marcin Marek Grzegorz Jakub Kamil Mateusz Adam
    Rafał Wojciech Dariusz Sławomir Bartosz Andrzej Jan Damian Maciej Przemysław Sebastian Robert Artur
    Daniel Mariusz Szymon Jacek Zbigniew Radosław Patryk Dawid Adrian Hubert Jarosław Krystian Mirosław
    Tadeusz Stanisław Józef Leszek Janusz Bogdan Ryszard""")
POL_F = L("""Anna Katarzyna Małgorzata Agnieszka Joanna Magdalena Monika Ewa Karolina Aleksandra Natalia
    Justyna Dorota Marta Beata Agata Zofia Paulina Kinga Barbara Elżbieta Krystyna Iwona Sylwia Izabela
    Weronika Aneta Patrycja Dominika Ewelina Renata Edyta Urszula Grażyna Wioletta Żaneta Halina Bożena
    Danuta Jadwiga""")
POL_FAM = Pool(L("""Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański
    Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski
    Pawłowski Michalski Nowicki Adamczyk Dudek Zając Wieczorek Jabłoński Król Majewski Olszewski
    Jaworski Wróbel Malinowski Pawlak Witkowski Walczak Stępień Górski Rutkowski Michalak Sikora
    Ostrowski Baran Duda Szewczyk Tomaszewski Pietrzak Marciniak Wróblewski Zalewski Jakubowski
    Jasiński Zawadzki Sadowski Bąk Chmielewski Włodarczyk Borkowski Czarnecki Sawicki Sokołowski
    Urbański Kubiak Maciejewski Szczepański Kucharski Wilk Kalinowski Lis Mazurek Wysocki Adamski
    Kaźmierczak Wasilewski Sobczak Czerwiński Andrzejewski Cieślak Głowacki Zakrzewski Kołodziej
    Sikorski Krajewski Gajewski Szymczak Szulc Baranowski Laskowski Brzeziński Makowski Ziółkowski
    Przybylski"""), s=0.7)
ROM_M = L("""Andrei Ionuț Mihai Alexandru Florin Cristian Ștefan Gheorghe Ion Vasile Marius Bogdan Adrian
    Constantin Daniel Gabriel Răzvan Cătălin Sorin Dragoș Ciprian Lucian Nicolae Costel Viorel Petru""")
ROM_F = L("""Elena Ioana Maria Andreea Mihaela Alexandra Cristina Ana Gabriela Ramona Simona Adriana Roxana
    Daniela Georgiana Florentina Larisa Alina Oana Loredana Nicoleta Raluca Bianca Mădălina Irina""")
ROM_FAM = Pool(L("""Popescu Ionescu Popa Constantin Stan Dumitru Georgescu Stoica Gheorghe Rusu Munteanu
    Matei Ciobanu Tudor Moldovan Florea Dinu Mocanu Marin Lungu Ene Barbu Radu Neagu Toma Cristea Nistor
    Dobre Sârbu Pîrvu Țurcanu Vlad Avram Iordache Bălan Enache Șerban"""), s=0.6)
LIT_M = L("""Tomas Mindaugas Darius Giedrius Jonas Andrius Vytautas Rimantas Arūnas Marius Paulius
    Žygimantas Lukas Mantas Karolis Tadas Aurimas Deividas Kęstutis Saulius Gintaras Algirdas Egidijus""")
LIT_F = L("""Rūta Agnė Jurgita Ieva Gintarė Eglė Laura Inga Rasa Kristina Simona Lina Neringa Dovilė Giedrė
    Aušra Vaida Jolanta Justina Asta Renata Viktorija Gabija""")
LIT_FAM = Pool(L("""Kazlauskas Jankauskas Petrauskas Stankevičius Vasiliauskas Žukauskas Butkus Paulauskas
    Urbonas Kavaliauskas Baranauskas Pocius Sakalauskas Navickas Rimkus Vaitkus Mockus Ramanauskas
    Budrys Šimkus Žilinskas Kairys Lukošius Norkus Adomaitis Jonaitis Petraitis"""), s=0.6)
RUS_M = L("""Aleksandr Sergei Dmitri Andrei Alexei Nikolai Yuri Vladimir Mikhail Ivan Oleg Igor Pavel
    Maxim Yevgeny Artem Roman Denis Viktor Konstantin Anton Vadim Ruslan Bogdan Taras Volodymyr Serhiy
    Oleksandr Mykola""")
RUS_F = L("""Olga Tatiana Natalia Yulia Svetlana Irina Elena Anastasia Ekaterina Maria Oksana Anna Ksenia
    Daria Marina Galina Lyudmila Nadezhda Viktoria Alina Polina Valentina Larisa Kateryna Iryna Olena""")
RUS_FAM = Pool(L("""Ivanov Petrov Smirnov Kuznetsov Popov Sokolov Lebedev Kozlov Novikov Morozov Volkov
    Fedorov Pavlov Alekseev Vasiliev Zaitsev Semenov Golubev Vinogradov Bogdanov Orlov Kiselev Makarov
    Andreev Nikolaev Yakovlev Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Melnyk Boyko
    Kovalchuk Oliynyk Shevchuk Polishchuk Lysenko Marchenko Savchenko Rudenko Moroz"""), s=0.5)
GER_M = L("""Jürgen Jörg Günter Stefan Thomas Klaus Uwe Björn Sören Jörn Jan Lukas Jonas Tobias Felix
    Florian Matthias Markus Andreas Michael Sebastian Dieter Wolfgang Horst Ralf Maximilian Moritz
    Niklas""")
GER_F = L("""Katrin Anja Jutta Birgit Sabine Ulrike Käthe Lea Mareike Annika Sandra Claudia Petra Susanne
    Julia Lena Laura Hannah Jana Nicole Karin Heike Gisela Monika Sophie Maike Jasmin Bärbel Dörte""")
GER_FAM = Pool(L("""Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch
    Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange
    Schmitt Werner Köhler Groß Weiß Jäger Böhm Günther Vogel Fuchs Möller Keller Jürgens Vogt Lehmann
    Krause Kühn Lorenz Ludwig Maier Friedrich Scholz Franke Weißmüller Straße"""), s=0.6)
SCAN_M = L("""Søren Jørgen Bjørn Mads Lars Anders Nils Erik Henrik Sven Magnus Rasmus Jesper Morten Mikkel
    Ole Tore Håkan Björn Jens Kasper""")
SCAN_F = L("""Åsa Ingrid Sigrid Astrid Märta Karin Maja Freja Linnéa Sofie Mette Ida Signe Hanne Birgitte
    Malin Solveig Kirsten Marit Ragnhild""")
SCAN_FAM = Pool(L("""Jørgensen Sørensen Nielsen Hansen Pedersen Andersen Larsen Johansson Andersson
    Karlsson Nilsson Eriksson Lindqvist Ødegaard Håkansson Lindström Christensen Rasmussen Olsen Berg
    Dahl Holm Lund Strand Bakke Halvorsen Løvland Sjöberg Åberg Nordström Björklund"""), s=0.5)
FR_M = L("""François Jérôme Stéphane Frédéric Benoît Noël André René Jean-Pierre Jean-Luc Thierry
    Olivier Nicolas Julien Pierre Laurent Guillaume Sébastien Antoine Hugo Théo Mathieu Rémi Loïc Cédric
    Hervé""")
FR_F = L("""Hélène Amélie Céline Élodie Anaïs Léa Chloé Renée Zoé Sophie Camille Marion Aurélie Mathilde
    Margaux Émilie Nathalie Isabelle Sandrine Valérie Brigitte Béatrice Geneviève Inès Manon Clémence
    Maëlle Océane""")
FR_FAM = Pool(L("""Lefèvre|Lefebvre|Dubois|Moreau|Laurent|Girard|Bonnet|Rousseau|Fournier|Mercier|Lambert|
    Faure|Chevalier|Bernard|Durand|Petit|Leroy|Roux|Bertrand|Morel|Garnier|Fontaine|Blanc|Guérin|Boyer|
    Gauthier|Perrin|Clément|Morin|Roussel|Masson|Marchand|Duval|Dumont|Lemaire|Brun|Meunier|Barbier|
    Le Roux|Le Gall|Dupont|Fabre|Hébert|Lemoine|Bérard|Ménard"""), s=0.5)
IB_M = L("""José Jesús Ángel Andrés Joaquín Raúl Iñaki Tomás Rubén Óscar Iván Adrián Nicolás Martín
    Sebastián Javier Alejandro Carlos Pablo Diego Luis Manuel Miguel Jorge Francisco Antonio João
    Sebastião Gonçalo Fábio Vítor António Luís""")
IB_F = L("""María Sofía Lucía Inés Begoña Conceição Mónica Ana Carmen Elena Laura Marta Paula Raquel Pilar
    Rocío Verónica Beatriz Andrea Alba Natália Márcia Fernanda Juliana Joana Leonor Bárbara Patrícia
    Cláudia""")
IB_FAM = Pool(L("""García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|
    Ruiz|Hernández|Díaz|Moreno|Muñoz|Álvarez|Romero|Núñez|Nuñez|Gonçalves|Conceição|Simões|Magalhães|
    Araújo|Ribeiro|Silva|Santos|Ferreira|Pereira|Costa|Oliveira|Sousa|Rodrigues|Fernandes|Gomes|Carvalho|
    Lopes|Marques|Almeida|Alves|Monteiro|Castro|Ortiz|Navarro|Torres|Domínguez|Vázquez|Ramos|Serrano|
    Suárez|Molina|da Silva|dos Santos|de Souza|de Oliveira|Nunez"""), s=0.5)
IT_M = L("""Giuseppe Giovanni Antonio Marco Francesco Luca Alessandro Niccolò Matteo Andrea Stefano Paolo
    Roberto Davide Simone Federico Lorenzo Gianluca Pietro Salvatore Vincenzo Fabio Enrico Riccardo""")
IT_F = L("""Giulia Francesca Chiara Federica Alessia Sara Martina Valentina Elisa Silvia Laura Elena Anna
    Paola Roberta Claudia Serena Ilaria Giorgia Beatrice Maria Rosa Antonella Lucia Carla""")
IT_FAM = Pool(L("""Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|
    Conti|De Luca|Costa|Giordano|Mancini|Rizzo|Lombardi|Moretti|Di Marco|De Rosa|Barbieri|Fontana|
    Santoro|Mariani|Rinaldi|Caruso|Ferrara|Galli|Martini|Leone|Longo|Gentile|Vitale|Serra|Coppola|
    De Santis|D'Angelo|Marchetti|Parisi|Conte|Ferraro|Fabbri|Marini|Grasso|De Angelis|Gatti|Palumbo|
    D'Amico|D'Alessandro|Di Rollo|Coia|Nardini|Crolla"""), s=0.5)
NL_M = L("Jan Pieter Joost Bram Sander Daan Maarten Ruud Wouter Sjoerd Thijs Niels Bas")
NL_F = L("Anouk Femke Sanne Marieke Lotte Eva Inge Saskia Ilse Esther Lieke")
NL_FAM = Pool(L("""de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|
    de Boer|Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|
    de Graaf|van der Meer|van der Linden|Kok|de Haan|Vermeulen|van den Heuvel|van der Veen"""), s=0.5)

# --- East Asian ---------------------------------------------------------------
CN_FAM = Pool(L("""Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng
    Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Jiang Cai Yu Du Ye Cheng Wei
    Su Lu Ding Ren Shen Yao"""), s=0.8)
HK_FAM = Pool(L("""Chan Wong Cheung Lau Leung Ng Ho Tang Cheng Lam Chow Yip Lee Tsang Fung Kwok Lai Mak Tse
    Chu Yeung Tam Choi Lo Siu Kwan Lui Tong Yau Chiu Ko Poon"""), s=0.7)
CN_GIVEN_1 = L("Wei Jing Min Lei Hui Yan Hao Jie Tao Bo Jun Lin Ying Fang Ling Xin Yu Qing Mei Hong Jian Ming Ping Yi")
CN_GIVEN_2 = L("""Xiaoming Jianguo Yifan Zihan Xinyi Haoran Yuxuan Zhiwei Jiahui Xiaoli Meiling Yanan Wenjun
    Zhihao Lijuan Xiaoyan Jiayi Ruoxi Yuting Junjie Xiaohong Weiwei Jianhua Lihua""")
HK_SYL_M = L("Ka Wai|Siu Ming|Chi Keung|Man Kit|Ho Yin|Wai Man|Kwok Wing|Chun Kit|Ka Ho|Wing Hong")
HK_SYL_F = L("Wing Yee|Mei Ling|Suk Yee|Pui Shan|Hoi Yan|Ka Yan|Tsz Ching|Wing Sze|Siu Wai|Man Yee")
HK_ENG_M = L("Kevin Eric Kenneth Raymond Alan Jason Vincent Michael Peter Andy Tony Kelvin Stanley Dennis")
HK_ENG_F = L("Winnie Cherry Carmen Jenny Vivian Grace Iris Joyce Rebecca Karen Mandy Fiona Cathy Sandy")
VN_FAM = [("Nguyen", "Nguyễn"), ("Tran", "Trần"), ("Le", "Lê"), ("Pham", "Phạm"), ("Hoang", "Hoàng"),
          ("Huynh", "Huỳnh"), ("Phan", "Phan"), ("Vu", "Vũ"), ("Vo", "Võ"), ("Dang", "Đặng"), ("Bui", "Bùi"),
          ("Do", "Đỗ"), ("Ngo", "Ngô"), ("Duong", "Dương"), ("Ly", "Lý")]
VN_GIVEN_M = [("Van Minh", "Văn Minh"), ("Van Hung", "Văn Hùng"), ("Duc Anh", "Đức Anh"), ("Quang Huy", "Quang Huy"),
              ("Thanh Tung", "Thanh Tùng"), ("Van Nam", "Văn Nam"), ("Minh Tuan", "Minh Tuấn"), ("Hoang Long", "Hoàng Long")]
VN_GIVEN_F = [("Thi Lan", "Thị Lan"), ("Thi Hoa", "Thị Hoa"), ("Thi Mai", "Thị Mai"), ("Ngoc Anh", "Ngọc Anh"),
              ("Thu Trang", "Thu Trang"), ("Thi Huong", "Thị Hương"), ("Thanh Huyen", "Thanh Huyền"),
              ("Thi Thuy", "Thị Thủy"), ("Phuong Linh", "Phương Linh")]

# Given names a British-raised child of a minority family might carry.
CROSS_MUSLIM_M = L("Adam Zak Ryan Daniel Jacob Adam Zac")
CROSS_MUSLIM_F = L("Sarah Hannah Sofia Zara Maria Leila Amelia Sophia")

# --- Anglicised forms (deed-poll / adopted names) ------------------------------
ANGLICISE = {
    "Piotr": "Peter", "Krzysztof": "Christopher", "Paweł": "Paul", "Michał": "Michael", "Tomasz": "Thomas",
    "Jakub": "Jacob", "Łukasz": "Luke", "Marek": "Mark", "Grzegorz": "Gregory", "Andrzej": "Andrew",
    "Jan": "John", "Mateusz": "Matthew", "Katarzyna": "Katherine", "Małgorzata": "Margaret",
    "Agnieszka": "Agnes", "Elżbieta": "Elizabeth", "Józef": "Joseph", "Aleksandr": "Alexander",
    "Mikhail": "Michael", "Pavel": "Paul", "Andrei": "Andrew", "Ekaterina": "Catherine", "Yulia": "Julia",
    "Natalia": "Natalie", "Irina": "Irene", "Elena": "Helen", "Ștefan": "Stephen", "Gheorghe": "George",
    "Ion": "John", "Mihai": "Michael", "Ioana": "Joanna", "Jonas": "John", "Tomas": "Thomas", "Lukas": "Luke",
    "Karolis": "Charles", "Ieva": "Eve",
}

# =============================================================================
# Nicknames, forms and transliterations
# =============================================================================
# Formal given name -> nicknames/short forms in genuine British use.  Used to MAKE
# nickname queries (and, with everything below, to check negatives).
NICK_UK = {
    "Margaret": "Peggy Maggie Meg Madge Maisie Mags Marge", "John": "Jack Johnny",
    "Henry": "Harry Hal", "Harold": "Harry Hal", "Edward": "Ted Teddy Ed Eddie Ned",
    "Edmund": "Ed Eddie Ted Ned", "Alexander": "Sandy Alex Alec", "Alexandra": "Alex Sandy Lexi",
    "Christopher": "Kit Chris", "Elizabeth": "Bess Bessie Beth Betty Liz Lizzie Libby Eliza Elsie Betsy",
    "Mary": "Polly Molly May", "Helen": "Nell Nellie", "Eleanor": "Nell Ellie Nora", "Ellen": "Nell Nellie",
    "David": "Dai Dave Davy", "Dafydd": "Dai", "Patrick": "Paddy Pat", "Gareth": "Gaz",
    "Gary": "Gaz", "Robert": "Bob Bobby Rob Robbie Bert Rab", "William": "Bill Billy Will Willie",
    "Richard": "Dick Rick Rich Richie Ricky", "James": "Jim Jimmy Jamie", "Charles": "Charlie Chas Chaz",
    "Anthony": "Tony Ant", "Frederick": "Fred Freddie Freddy", "Albert": "Bert Bertie Albie",
    "Alfred": "Alf Alfie Fred", "Thomas": "Tom Tommy", "Michael": "Mike Mick Micky Mikey",
    "Stephen": "Steve Stevie", "Steven": "Steve Stevie", "Joseph": "Joe Joey", "Samuel": "Sam Sammy",
    "Matthew": "Matt Matty", "Andrew": "Andy Drew", "Nicholas": "Nick Nicky", "Daniel": "Dan Danny",
    "Benjamin": "Ben Benji Benny", "Jonathan": "Jon Jonny", "Timothy": "Tim Timmy", "Peter": "Pete",
    "Philip": "Phil Pip", "Terence": "Terry", "Derek": "Del", "Leonard": "Len Lenny",
    "Lawrence": "Larry Laurie", "Raymond": "Ray", "Ronald": "Ron Ronnie", "Donald": "Don Donnie",
    "Kenneth": "Ken Kenny", "Gerard": "Gerry Ged", "Gerald": "Gerry", "Bernard": "Bernie",
    "Francis": "Frank Fran", "Frances": "Fran Frankie", "Walter": "Wally Walt", "Archibald": "Archie",
    "Douglas": "Doug Dougie", "Malcolm": "Mal", "Joshua": "Josh", "Nathan": "Nat Nate",
    "Oliver": "Ollie Olly", "Zachary": "Zach Zak", "Sebastian": "Seb", "Dominic": "Dom",
    "Jeremy": "Jez", "Barry": "Baz", "Darren": "Daz", "Sharon": "Shaz", "Karen": "Kaz",
    "Caroline": "Caz Carrie", "Sarah": "Sal Sally", "Catherine": "Kate Katie Cath Cathy Kitty",
    "Katherine": "Kate Katie Kath Kathy Kitty Kit", "Kathryn": "Kate Katie Kath Kathy",
    "Deborah": "Debbie Deb Debs", "Rebecca": "Becky Becca Bex", "Victoria": "Vicky Vicki Tori",
    "Jennifer": "Jenny Jen", "Susan": "Sue Susie Suzy", "Patricia": "Pat Patsy Trish Tricia",
    "Christine": "Chris Chrissie Tina", "Christina": "Chris Chrissie Tina", "Jacqueline": "Jackie Jacqui",
    "Josephine": "Jo Josie", "Joanne": "Jo", "Joanna": "Jo", "Samantha": "Sam Sammy",
    "Gillian": "Gill Jill", "Pamela": "Pam", "Dorothy": "Dot Dottie Dolly", "Abigail": "Abby Abbie Abi",
    "Charlotte": "Lottie Charlie", "Amelia": "Millie", "Emily": "Emmy", "Isabella": "Izzy Bella Issy",
    "Isabel": "Izzy Issy", "Jessica": "Jess Jessie", "Natasha": "Tash Tasha", "Stephanie": "Steph",
    "Teresa": "Tess Tessa Terri", "Theresa": "Tess Tessa Terri", "Valerie": "Val", "Louise": "Lou",
    "Beatrice": "Bea Trixie", "Harriet": "Hattie", "Kimberley": "Kim", "Bridget": "Bridie",
    "Cornelius": "Con", "Angela": "Angie", "Amanda": "Mandy", "Reginald": "Reg Reggie",
    "Trevor": "Trev", "Kevin": "Kev", "Geoffrey": "Geoff", "Russell": "Russ", "Vincent": "Vince Vinny",
    "Bradley": "Brad", "Alistair": "Ali Al", "Alasdair": "Ali Al", "Alan": "Al", "Nigel": "Nige",
    "Callum": "Cal", "Cameron": "Cam", "Angus": "Gus", "Theodore": "Theo Ted", "Tobias": "Toby",
    "Llewellyn": "Llew", "Gwyneth": "Gwen", "Dewi": "Dai", "Marjorie": "Marge Madge",
    "Mohammed": "Mo", "Muhammad": "Mo", "Mohamed": "Mo", "Mohammad": "Mo",
    "Oluwaseun": "Seun", "Oluwafemi": "Femi", "Babatunde": "Tunde", "Chukwuemeka": "Emeka",
    "Oluwatobi": "Tobi", "Temitope": "Tope Temi", "Funmilayo": "Funmi", "Adebayo": "Bayo",
    "Oluwakemi": "Kemi", "Olusegun": "Segun", "Olawale": "Wale", "Oluwaseyi": "Seyi",
    "Martin": "Marty", "Clifford": "Cliff", "Gregory": "Greg", "Cyril": "Cy", "Leslie": "Les",
    "Lesley": "Les", "Cecil": "Cec", "Stuart": "Stu", "Sean": "Shaun", "Jacob": "Jake", "Jamie": "Jim",
}
NICK_UK = {k: v.split() for k, v in NICK_UK.items()}
# The last few rows are lenient; drop ones that are not real nickname relations.
for _k in ("Sean", "Jamie"):
    NICK_UK.pop(_k)

# Name forms across languages/regions: never used to MAKE positives, only to keep
# negatives honest (a "sibling" called Ian is not a clear non-match for John).
FORMS = [
    "John Ian Iain Seán Sean Shaun Shane Eoin Ieuan Iwan Evan Siôn Jon Jack Johnny Hans Jan Juan João Giovanni Jean Ivan Ion Jonas Johann Johannes",
    "James Hamish Séamus Seamus Jamie Jim Jimmy Diego Jaime Giacomo Jakub Jacques Jacob Jake Yakub Yaqub",
    "David Dafydd Dewi Dai Dave Davy Dawood Dawud Daud Dawid",
    "William Liam Gwilym Wilhelm Guillaume Wil Will Bill Billy Willem",
    "Hugh Huw Hugo",
    "Jane Siân Sian Jean Janet Joan Jeanette Sinéad Sinead Shona Seonaid Janine Jayne Juana Joanna Joanne Siobhán Siobhan Johanna",
    "Mary Máire Maire Moira Mair Maria Marie Mairi Mhairi Maryam Mariam Miriam Molly Polly May Marion Maryan",
    "Margaret Mairead Máiréad Margarethe Małgorzata Greta Rita Peggy Maggie Maisie Marged Margarida Margarita",
    "Katherine Catherine Kathryn Catriona Caitlin Caitríona Katarzyna Katrin Karen Kate Katie Kath Cathy Katerina Kateryna Ekaterina Yekaterina Caterina Karin Kathleen Kirsten Kirsty",
    "Elizabeth Elisabeth Eliza Elspeth Isobel Isabel Isabella Elżbieta Beth Bethan Lisa Liza Elise Elsie Ishbel Libby Betty Bess",
    "Helen Helena Elena Eleni Ellen Eileen Aileen Nell Olena Yelena Hélène",
    "Patrick Pádraig Padraig Patryk Patricio Paddy Pat",
    "Peter Piotr Pedro Pierre Pietro Petr Pete Peadar Petros Petru",
    "Michael Michał Michel Mikhail Miguel Michele Mícheál Mick Michalis Mihai",
    "Thomas Tomasz Tomás Tomas Tom Tomos Thomé",
    "Paul Paweł Pablo Paolo Pavel Pól Paulius",
    "Stephen Steven Stefan Stéphane Stephan Esteban Szczepan Steve Ștefan Stephanos",
    "Andrew Andrzej Andrés André Andrei Andreas Andrea Aindrea Andy Andrius Andrey",
    "Alexander Aleksander Aleksandr Alexandre Alessandro Alejandro Alasdair Alistair Alastair Sandy Alex Alec Sasha Oleksandr Alexandru Alexandr",
    "Christopher Krzysztof Cristóbal Kit Chris Christos Kristopher",
    "George Jerzy Jorge Georgios Giorgio Yuri Gheorghe Jürgen Jörg Georg",
    "Joseph Józef José Giuseppe Yusuf Yousef Joe Josef",
    "Matthew Mateusz Mateo Matteo Matthias Matt Matei",
    "Luke Łukasz Lucas Lukas Luca Luc",
    "Anne Ann Anna Hannah Annie Ana Anne-Marie",
    "Susan Susanna Zuzanna Suzanne Sue",
    "Bridget Brigid Bríd Bridie Brigitte Birgit Birgitte",
    "Owen Eoghan Ewan Euan Eugene Owain Ifan",
    "Kevin Caoimhín", "Gerard Gearóid Gerald Gerry", "Dermot Diarmuid", "Eamonn Éamonn Edmund Edmond",
    "Niall Neil Neill Nigel Nils Njal", "Denis Dennis", "Charles Karol Carlos Carl Karl Charlie Carlo Karel",
    "Henry Henryk Enrique Harry Hal Heinrich Henri Enrico Henrik",
    "Edward Edvard Eduardo Ted Ned Edoardo", "Frederick Fryderyk Federico Fred Friedrich",
    "Francis Franciszek Francisco François Frank Francesco Frances Francesca Françoise",
    "Julia Julie Yulia Juliana Julianne Giulia", "Natalie Natalia Natalya Natasha Nathalie Natália",
    "Irene Irina Iryna Eirini", "Eve Eva Ewa Hawa Ava Ieva Evie", "Abraham Ibrahim Ebrahim İbrahim",
    "Ishmael Ismail Ismael İsmail", "Solomon Suleiman Sulaiman Süleyman", "Moses Musa",
    "Jonah Yunus Younis", "Aaron Harun Haroon", "Zachary Zakaria Zakariya",
    "Daniel Daniyal Danyal Dániel", "Elijah Ilyas Elias Ilias", "Isaac Ishaq Izaak",
    "Sarah Sara Sally Sadie Zara", "Rebecca Rebekah", "Leah Lea", "Nicholas Nikolai Nicolae Nicolas Niccolò Nikolaos Mykola Klaus",
    "Vincent Vincenzo", "Anthony Antonio António Anton Antoine Antonis Antanas", "Dominic Dominik Domenico",
    "Constantine Constantinos Konstantinos Konstantin Constantin Costas Kostas",
    "Dimitri Dmitri Dmitry Demetris Dimitrios Demetrios", "Gregory Grzegorz Gregor Grigory",
    "Sophie Sophia Sofia Sofía Sofie Zofia", "Lucy Lucia Lucía Łucja", "Agnes Agnieszka Inès Inés Inês Ines",
    "Theresa Teresa Tereza Terézia", "Louis Lewis Ludwig Luis Luís Luigi", "Martin Martín Marcin Martyn",
]
# Transliteration/spelling classes (one name, several romanisations).
TL_MUSLIM = [
    "Mohammed Muhammad Mohamed Mohammad Muhammed Mohamad Mohammod Mohamud Muhammet Mehmet",
    "Ahmed Ahmad Ahmet", "Yusuf Yousef Yousuf Youssef Yusef Yousif",
    "Hussain Hussein Husain Hossain Hüseyin", "Hassan Hasan", "Abdul Abdel Abdal", "Abdullah Abdallah Abdulla",
    "Mustafa Mostafa Moustafa Mustafe", "Usman Osman Othman Uthman", "Omar Umar Ömer",
    "Ibrahim Ebrahim İbrahim", "Ismail Ismael Esmail İsmail", "Khalid Khaled", "Hamza Hamzah",
    "Aisha Ayesha Aysha Aishah Ayşe", "Fatima Fatimah Fatema", "Maryam Mariam", "Zainab Zaynab Zeinab",
    "Rahman Rehman", "Mahmood Mahmud Mahmoud Mehmood", "Qureshi Kureshi Qureishi",
    "Chaudhry Chaudhary Choudhury Chowdhury Choudhry", "Sheikh Shaikh Sheik", "Rashid Rasheed",
    "Yasmin Yasmeen Yasmine", "Nasreen Nasrin", "Parveen Parvin", "Hanif Haneef", "Latif Lateef",
    "Naveed Navid", "Javed Javid Jawed", "Tariq Tarek Tarik", "Amina Aminah Ameena",
    "Khadija Khadijah Khadeeja", "Hafsa Hafsah", "Sumaiya Sumaya Sumayyah", "Jamal Gamal",
    "Youssef Yousef", "Yasser Yasir", "Osama Usama", "Abdulrahman Abdirahman Abdurrahman",
    "Abdullahi Abdallahi", "Nour Noor Nur", "Layla Leila Laila", "Reem Rim", "Huda Hoda",
]
TL_SA = [
    "Mukherjee Mukherji", "Chatterjee Chatterji", "Banerjee Banerji", "Srivastava Shrivastava",
    "Lakshmi Laxmi", "Deepak Dipak", "Deepika Dipika", "Pradeep Pradip", "Sandeep Sandip",
    "Kuldeep Kuldip", "Jagdeep Jagdip", "Navdeep Navdip", "Gurdeep Gurdip", "Mandeep Mandip", "Hardeep Hardip",
    "Chaudhry Chaudhary Choudhury Chowdhury Choudhry",
]
TL_SLAV = [
    "Aleksandr Alexander Aleksander Alexandr", "Sergei Sergey Serguei Sergiy Serhiy Serhii",
    "Dmitri Dmitry Dmitriy Dimitri", "Andrei Andrey", "Alexei Aleksei Alexey Aleksey",
    "Nikolai Nikolay", "Yuri Yury Yuriy Iurii", "Yevgeny Evgeny Evgeniy Yevgeniy Evgeni",
    "Maxim Maksim", "Artem Artyom Artiom", "Tatiana Tatyana", "Natalia Natalya", "Yulia Yuliya Iuliia Julia",
    "Ekaterina Yekaterina", "Ksenia Kseniya Xenia", "Elena Yelena", "Lyudmila Ludmila Lyudmyla",
    "Nadezhda Nadejda", "Olena Olena", "Kateryna Katerina", "Iryna Irina",
    "Fedorov Fyodorov", "Alekseev Alexeev Alekseyev", "Vasiliev Vasilyev Vasilev", "Semenov Semyonov",
    "Zaitsev Zaytsev", "Yakovlev Iakovlev", "Nikolaev Nikolayev", "Andreev Andreyev", "Kiselev Kiselyov",
    "Melnyk Melnik", "Oliynyk Oleinik", "Kovalenko Kovalenko",
    "Kovalenko",
]
TL_GREEK = [
    "Konstantinos Constantinos", "Demetriou Dimitriou", "Panayiotis Panagiotis", "Kyriacou Kyriakou",
    "Yiannis Giannis", "Panayiotou Panagiotou", "Constantinou Konstantinou",
]
TRANSLIT = TL_MUSLIM + TL_SA + TL_SLAV + TL_GREEK
# Which targets a transliteration query may be made for, and where a spelling is only
# realistic for one community (a Pakistani Tariq is not written Tarek).
TL_TARGET_BG = [(TL_MUSLIM, {"pakistani", "bangladeshi", "somali", "arabic"}),
                (TL_SA, {"indian", "sikh", "bangladeshi", "pakistani"}),
                (TL_SLAV, {"russian"}), (TL_GREEK, {"greek"})]
VARIANT_ONLY = {"Mohamud": {"somali"}, "Mustafe": {"somali"}, "Abdirahman": {"somali"}, "Abdallahi": {"somali"},
                "Abdel": {"arabic"}, "Abdal": set(), "Gamal": {"arabic"}, "Tarek": {"arabic"}, "Tarik": set(),
                "Hossain": {"bangladeshi"}, "Usama": {"arabic", "pakistani"}, "Othman": {"arabic", "somali"},
                "Uthman": {"arabic"}, "Nur": {"somali", "arabic"}, "Mohammod": set(), "Muhammet": set(),
                "Mehmet": set(), "Ahmet": set(), "Hüseyin": set(), "Ömer": set(), "İbrahim": set(),
                "İsmail": set(), "Ayşe": set(), "Rim": {"arabic"}, "Hoda": {"arabic"}, "Yousif": {"arabic"},
                "Mostafa": {"arabic"}, "Moustafa": {"arabic"}, "Mehmood": {"pakistani"}, "Mahmoud": {"arabic"}}


def build_relations():
    rel = defaultdict(set)

    def link(a, b):
        a, b = norm(a), norm(b)
        if a and b and a != b:
            rel[a].add(b)
            rel[b].add(a)

    if os.path.exists(NICK_CSV):
        with open(NICK_CSV, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                link(row["name1"].strip(), row["name2"].strip())
    for formal, nicks in NICK_UK.items():
        for n in nicks:
            link(formal, n)
    for group in FORMS + TRANSLIT:
        names = group.split()
        for a, b in itertools.combinations(names, 2):
            link(a, b)
    return rel


# =============================================================================
# Normalisation and a deliberately loose similarity (for checking the set)
# =============================================================================
SPECIAL = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE",
                         "œ": "oe", "Œ": "OE", "ı": "i", "đ": "d", "Đ": "D", "ð": "d", "þ": "th"})
APOS = "'’‘`ʼ´"


def strip_accents(s):
    """Remove diacritics, keep case (Łukasz -> Lukasz, Müller -> Muller)."""
    s = s.translate(SPECIAL)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", s)


def norm(s):
    s = strip_accents(s).lower()
    s = "".join("" if c in APOS else c for c in s)
    s = re.sub(r"[-‐–—.,_/]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


PARTICLES = {"de", "da", "di", "du", "dos", "das", "del", "della", "van", "der", "den", "von", "le", "la",
             "al", "el", "ap", "ab", "st", "bin", "ibn", "ten", "ter", "mc", "mac", "o", "d", "ni", "nic"}
REL = None


def mac(k):
    return "mac" + k[2:] if k.startswith("mc") else k


@lru_cache(maxsize=None)
def fam_keys(f):
    toks = norm(f).split()
    keys = {mac("".join(toks))}
    for t in toks:
        if t not in PARTICLES and len(t) >= 2:
            keys.add(mac(t))
    return frozenset(keys)


@lru_cache(maxsize=None)
def osa(a, b):
    """Optimal-string-alignment edit distance."""
    la, lb = len(a), len(b)
    d = [[0] * (lb + 1) for _ in range(la + 1)]
    for i in range(la + 1):
        d[i][0] = i
    for j in range(lb + 1):
        d[0][j] = j
    for i in range(1, la + 1):
        for j in range(1, lb + 1):
            c = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + c)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[la][lb]


def close_str(a, b):
    m = min(len(a), len(b))
    lim = 2 if m >= 6 else (1 if m >= 3 else 0)
    if abs(len(a) - len(b)) > lim:
        return False
    return osa(a, b) <= lim


def related(a, b):
    ra = REL.get(a)
    if not ra:
        return False
    if b in ra:
        return True
    rb = REL.get(b)
    return bool(rb) and not ra.isdisjoint(rb)


@lru_cache(maxsize=None)
def tok_compat(a, b):
    """Could these two normalised given-name tokens denote the same name?  (loose)"""
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    s, l = sorted((a, b), key=len)
    if len(s) >= 3 and l.startswith(s):
        return True
    return close_str(a, b) or related(a, b)


@lru_cache(maxsize=None)
def fam_compat(fa, fb):
    ka, kb = fam_keys(fa), fam_keys(fb)
    for x in ka:
        for y in kb:
            if x == y or close_str(x, y) or related(x, y):
                return True
    return False


class NameRec:
    __slots__ = ("given", "family", "gtoks", "alltoks")

    def __init__(self, given, family):
        self.given, self.family = given, family
        self.gtoks = tuple(norm(given).split())
        ft = [t for t in norm(family).split() if t not in PARTICLES and len(t) >= 2]
        self.alltoks = tuple(t for t in self.gtoks + tuple(ft) if len(t) > 1 and t not in PARTICLES)


def name_similar(q, r):
    """Loose: True whenever a careful human might think the two names could be one person's."""
    if not q.gtoks and not r.gtoks:
        return fam_compat(q.family, r.family)
    if fam_compat(q.family, r.family):
        if any(tok_compat(a, b) for a in q.gtoks for b in r.gtoks):
            return True
        if "".join(q.gtoks) and "".join(q.gtoks) == "".join(r.gtoks):
            return True
    # given and family exchanged
    if any(fam_compat(q.family, t) for t in r.gtoks) and any(fam_compat(t, r.family) for t in q.gtoks):
        return True
    # two or more tokens in common, in any field
    matched = sum(1 for a in q.alltoks if any(tok_compat(a, b) for b in r.alltoks))
    return matched >= 2


# --- dates ---------------------------------------------------------------------
def ds(d):
    return d.strftime("%Y%m%d")


def iso(d):
    return None if d is None else d.isoformat()


def valid_date(y, m, d):
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def hamming(a, b):
    return sum(x != y for x, y in zip(a, b))


def dob_close(a, b):
    """Loose: could b be a, or a slip of it (digits, transposition, day/month swap, year)?  Anything
    within about a year counts as close too, so a same-name negative is never a near-miss."""
    if a is None or b is None:
        return True
    if a == b:
        return True
    sa, sb = ds(a), ds(b)
    if hamming(sa, sb) <= 2:
        return True
    if abs((a - b).days) <= 400:
        return True
    if (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) <= 2:
        return True
    if (a.month, a.day) == (b.day, b.month) and abs(a.year - b.year) <= 1:
        return True
    return False


def close_date_keys(d):
    s = ds(d)
    out = {s}
    for i in range(8):
        for c in "0123456789":
            if c != s[i]:
                out.add(s[:i] + c + s[i + 1:])
    for i, j in itertools.combinations(range(8), 2):
        for c in "0123456789":
            if c == s[i]:
                continue
            pre = s[:i] + c + s[i + 1:j]
            post = s[j + 1:]
            for e in "0123456789":
                if e != s[j]:
                    out.add(pre + e + post)
    for k in range(-400, 401):
        try:
            out.add(ds(d + dt.timedelta(days=k)))
        except OverflowError:
            pass
    for dy in (-2, -1, 1, 2):
        x = valid_date(d.year + dy, d.month, d.day)
        if x:
            out.add(ds(x))
    for dy in (-1, 0, 1):
        x = valid_date(d.year + dy, d.day, d.month)
        if x:
            out.add(ds(x))
    return out


# --- NI numbers ------------------------------------------------------------------
NI_FIRST = [c for c in "ABCEGHJKLMNOPRSTWXYZ"]
NI_SECOND = [c for c in "ABCEGHJKLMNPRSTWXYZ"]
NI_BAD = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def rand_ni(rng):
    while True:
        p = rng.choice(NI_FIRST) + rng.choice(NI_SECOND)
        if p not in NI_BAD:
            return p + "".join(rng.choice("0123456789") for _ in range(6)) + rng.choice("ABCD")


def ni_norm(s):
    return re.sub(r"\s+", "", s).upper() if s else None


# =============================================================================
# People
# =============================================================================
BRITISH_LIKE = {"english", "scottish", "welsh", "irish", "caribbean"}
BG_WEIGHTS = {
    "english": 58, "scottish": 7.5, "welsh": 4.5, "irish": 5.5, "caribbean": 3, "pakistani": 3.5,
    "bangladeshi": 1.5, "indian": 2, "sikh": 1.5, "goan": 0.3, "yoruba": 1.3, "igbo": 1, "ghanaian": 0.8,
    "somali": 0.8, "arabic": 1.2, "turkish": 0.5, "greek": 0.4, "polish": 2.5, "romanian": 0.8,
    "lithuanian": 0.5, "russian": 0.6, "german": 0.5, "scandinavian": 0.3, "french": 0.5, "iberian": 0.8,
    "italian": 0.6, "dutch": 0.3, "chinese": 1.2, "vietnamese": 0.3,
}
BG_NAMES = list(BG_WEIGHTS)
BG_CUM = list(itertools.accumulate(BG_WEIGHTS.values()))

ERA_M_P = [Pool(x, 0.6) for x in ERA_M]
ERA_F_P = [Pool(x, 0.6) for x in ERA_F]
MID_M_P, MID_F_P = Pool(MID_M, 0.5), Pool(MID_F, 0.5)
REGIONAL = {
    "scottish": (Pool(SCOT_M, 0.4), Pool(SCOT_F, 0.4), 0.5),
    "welsh": (Pool(WELSH_M, 0.4), Pool(WELSH_F, 0.4), 0.5),
    "irish": (Pool(IRISH_M, 0.4), Pool(IRISH_F, 0.4), 0.55),
    "caribbean": (Pool(CARIB_M, 0.4), Pool(CARIB_F, 0.4), 0.45),
}
ENG_FAM = Pool(ENG_FAM1 + ENG_FAM2, s=0.72)
FAM_POOLS = {
    "english": ENG_FAM, "scottish": Pool(SCOT_FAM, 0.6), "welsh": Pool(WELSH_FAM, 0.75),
    "irish": Pool(IRISH_FAM, 0.6), "caribbean": Pool(CARIB_FAM, 0.6), "pakistani": PAK_FAM,
    "bangladeshi": BD_FAM, "indian": IND_FAM, "sikh": SIKH_FAM, "goan": GOAN_FAM, "yoruba": YOR_FAM,
    "igbo": IGBO_FAM, "ghanaian": GHA_FAM, "somali": SOM_FAM, "arabic": ARAB_FAM, "turkish": TURK_FAM,
    "greek": GREEK_FAM, "polish": POL_FAM, "romanian": ROM_FAM, "lithuanian": LIT_FAM, "russian": RUS_FAM,
    "german": GER_FAM, "scandinavian": SCAN_FAM, "french": FR_FAM, "iberian": IB_FAM, "italian": IT_FAM,
    "dutch": NL_FAM, "chinese": CN_FAM,
}
GIVEN_POOLS = {
    "pakistani": (PAK_M, PAK_F), "bangladeshi": (BD_M, BD_F), "indian": (IND_M, IND_F),
    "sikh": (SIKH_M, SIKH_F), "goan": (GOAN_M, GOAN_F), "yoruba": (YOR_M, YOR_F), "igbo": (IGBO_M, IGBO_F),
    "ghanaian": (GHA_M, GHA_F), "somali": (SOM_M, SOM_F), "arabic": (ARAB_M, ARAB_F),
    "turkish": (TURK_M, TURK_F), "greek": (GREEK_M, GREEK_F), "polish": (POL_M, POL_F),
    "romanian": (ROM_M, ROM_F), "lithuanian": (LIT_M, LIT_F), "russian": (RUS_M, RUS_F),
    "german": (GER_M, GER_F), "scandinavian": (SCAN_M, SCAN_F), "french": (FR_M, FR_F),
    "iberian": (IB_M, IB_F), "italian": (IT_M, IT_F), "dutch": (NL_M, NL_F),
}
GIVEN_POOLS = {k: (Pool(m, 0.5), Pool(f, 0.5)) for k, (m, f) in GIVEN_POOLS.items()}
AFR_X = (Pool(AFR_XM, 0.5), Pool(AFR_XF, 0.5))
MUSLIM = {"pakistani", "bangladeshi", "somali", "arabic"}


def era_of(year):
    return 0 if year < 1965 else 1 if year < 1980 else 2 if year < 1995 else 3


def era_pool(rng, gender, year):
    e = era_of(year)
    r = rng.random()
    if r < 0.12 and e > 0:
        e -= 1
    elif r < 0.24 and e < 3:
        e += 1
    return (ERA_M_P if gender == "M" else ERA_F_P)[e]


def pick_other(rng, pool, avoid, tries=30):
    for _ in range(tries):
        x = pool.pick(rng)
        if all(norm(x) != norm(a) for a in avoid):
            return x
    return None


def feminize(bg, fam, rng=None, married=True):
    if bg == "polish":
        for a, b in (("dzki", "dzka"), ("ski", "ska"), ("cki", "cka")):
            if fam.endswith(a):
                return fam[: -len(a)] + b
        return fam
    if bg == "russian":
        if re.search(r"(ov|ev|in)$", fam):
            return fam + "a"
        return fam
    if bg == "lithuanian":
        for end, unm in (("ius", "iūtė"), ("as", "aitė"), ("ys", "ytė"), ("is", "ytė"), ("us", "utė")):
            if fam.endswith(end):
                stem = fam[: -len(end)]
                return stem + ("ienė" if married else unm)
        return fam
    return fam


def gen_family(rng, bg, gender, married=False):
    if bg == "vietnamese":
        plain, acc = rng.choice(VN_FAM)
        return acc if rng.random() < 0.3 else plain
    if bg == "chinese":
        return (CN_FAM if rng.random() < 0.55 else HK_FAM).pick(rng)
    if bg == "sikh":
        if rng.random() < 0.3:
            return "Singh" if gender == "M" else "Kaur"
        return SIKH_FAM.pick(rng)
    if bg == "bangladeshi" and gender == "F" and rng.random() < 0.5:
        return BD_FAM_F.pick(rng)
    if bg == "pakistani" and gender == "F" and rng.random() < 0.15:
        return rng.choice(["Bibi", "Begum"])
    if bg == "iberian" and rng.random() < 0.25:
        a = IB_FAM.pick(rng)
        b = pick_other(rng, IB_FAM, [a])
        if b and " " not in a and " " not in b:
            return a + " " + b
    f = FAM_POOLS[bg].pick(rng)
    if gender == "F":
        f = feminize(bg, f, rng, married=married or rng.random() < 0.5)
    return f


def gen_given(rng, bg, g, year):
    """Returns (tokens, middle_droppable)."""
    toks, droppable = [], True
    if bg in BRITISH_LIKE:
        reg = REGIONAL.get(bg)
        if reg and rng.random() < reg[2]:
            first = (reg[0] if g == "M" else reg[1]).pick(rng)
        else:
            first = era_pool(rng, g, year).pick(rng)
        toks = [first]
        if rng.random() < 0.45:
            src = (MID_M_P if g == "M" else MID_F_P) if rng.random() < 0.5 else era_pool(rng, g, year)
            m = pick_other(rng, src, toks)
            if m:
                toks.append(m)
            if rng.random() < 0.12:
                m2 = pick_other(rng, MID_M_P if g == "M" else MID_F_P, toks)
                if m2:
                    toks.append(m2)
        return toks, droppable
    if bg == "chinese":
        r = rng.random()
        if r < 0.45:
            toks = [rng.choice(CN_GIVEN_1 if rng.random() < 0.5 else CN_GIVEN_2)]
        elif r < 0.8:
            eng = rng.choice(HK_ENG_M if g == "M" else HK_ENG_F)
            toks = [eng] + rng.choice(HK_SYL_M if g == "M" else HK_SYL_F).split()
        else:
            toks = [era_pool(rng, g, year).pick(rng)]
            if rng.random() < 0.4:
                toks.append(rng.choice(CN_GIVEN_1))
        return toks, True
    if bg == "vietnamese":
        plain, acc = rng.choice(VN_GIVEN_M if g == "M" else VN_GIVEN_F)
        return (acc if rng.random() < 0.3 else plain).split(), False
    pm, pf = GIVEN_POOLS.get(bg, (None, None)) if bg not in ("yoruba", "igbo", "ghanaian") else (None, None)
    if bg in ("yoruba", "igbo", "ghanaian"):
        native = Pool({"yoruba": YOR_M, "igbo": IGBO_M, "ghanaian": GHA_M}[bg], 0.4) if g == "M" else \
            Pool({"yoruba": YOR_F, "igbo": IGBO_F, "ghanaian": GHA_F}[bg], 0.4)
        xian = AFR_X[0] if g == "M" else AFR_X[1]
        r = rng.random()
        if r < 0.35:
            toks = [native.pick(rng)]
        elif r < 0.6:
            toks = [native.pick(rng), xian.pick(rng)]
        elif r < 0.8:
            toks = [xian.pick(rng), native.pick(rng)]
        else:
            toks = [era_pool(rng, g, year).pick(rng) if year >= 1980 else xian.pick(rng)]
            if rng.random() < 0.5:
                toks.append(native.pick(rng))
        return dedupe(toks), True
    pool = pm if g == "M" else pf
    if bg in MUSLIM and rng.random() < 0.05 and year >= 1980:
        toks = [rng.choice(CROSS_MUSLIM_M if g == "M" else CROSS_MUSLIM_F)]
    elif bg not in MUSLIM and bg not in ("sikh",) and year >= 1982 and rng.random() < 0.15:
        toks = [era_pool(rng, g, year).pick(rng)]
    else:
        toks = [pool.pick(rng)]
    if bg in ("pakistani", "bangladeshi") and g == "M":
        r = rng.random()
        if r < 0.38:
            toks = [MOH.pick(rng)] + ([toks[0]] if norm(toks[0]) not in ("mohammed",) else [])
            droppable = False
        elif r < 0.45 and bg == "bangladeshi":
            toks = ["Abdul", toks[0]] if toks[0] != "Abdul" else toks
            droppable = False
        elif rng.random() < 0.2:
            m = pick_other(rng, pool, toks)
            if m:
                toks.append(m)
    elif bg == "somali":
        if rng.random() < 0.6:
            father = pick_other(rng, GIVEN_POOLS["somali"][0], toks)
            if father:
                toks.append(father)
    elif bg == "sikh":
        pass  # Singh/Kaur middle added once family is known
    elif bg == "arabic" and g == "M" and rng.random() < 0.15:
        toks = [rng.choice(["Mohammed", "Mohamed", "Muhammad"])] + toks
        droppable = False
    elif bg == "indian" and g == "M" and rng.random() < 0.15:
        toks.append("Kumar")
    elif bg not in MUSLIM and rng.random() < 0.3:
        m = pick_other(rng, pool, toks)
        if m:
            toks.append(m)
    return dedupe(toks), droppable


class Person:
    __slots__ = ("key", "gtoks", "family", "dob", "prev", "ni", "list", "gender", "bg", "droppable",
                 "db", "twin_of", "recs", "tags")

    def __init__(self):
        self.prev = []
        self.ni = None
        self.db = False
        self.twin_of = None
        self.tags = set()

    @property
    def given(self):
        return " ".join(self.gtoks)

    def names(self):
        return [(self.given, self.family)] + list(self.prev)

    def finish(self):
        self.recs = [NameRec(g, f) for g, f in self.names()]
        return self


def make_double_barrel(rng, bg, gender):
    r = rng.random()
    if r < 0.4:
        return rng.choice(ARISTO_DB)
    for _ in range(20):
        a = ENG_FAM.pick(rng) if rng.random() < 0.8 else gen_family(rng, rng.choices(BG_NAMES, cum_weights=BG_CUM)[0], gender)
        b = ENG_FAM.pick(rng)
        if " " in a or " " in b or "-" in a or "-" in b or fam_compat(a, b):
            continue
        return a + "-" + b
    return rng.choice(ARISTO_DB)


def gen_person(rng, bg=None, gender=None, dob=None, with_prev=True):
    p = Person()
    p.bg = bg or rng.choices(BG_NAMES, cum_weights=BG_CUM)[0]
    p.gender = gender or ("M" if rng.random() < 0.56 else "F")
    p.dob = dob or dt.date.fromordinal(rng.randint(dt.date(1955, 1, 1).toordinal(), dt.date(2004, 12, 31).toordinal()))
    p.gtoks, p.droppable = gen_given(rng, p.bg, p.gender, p.dob.year)
    birth_family = gen_family(rng, p.bg, p.gender, married=False)
    if (p.bg in BRITISH_LIKE and rng.random() < 0.06) or (p.bg not in BRITISH_LIKE and p.bg not in ("chinese", "vietnamese") and rng.random() < 0.015):
        if p.bg in BRITISH_LIKE:
            birth_family = make_double_barrel(rng, p.bg, p.gender)
        else:
            birth_family = birth_family + "-" + ENG_FAM.pick(rng) if " " not in birth_family and "-" not in birth_family else birth_family
        p.db = "-" in birth_family
    if p.bg == "sikh" and birth_family not in ("Singh", "Kaur") and rng.random() < 0.6:
        p.gtoks = p.gtoks + ["Singh" if p.gender == "M" else "Kaur"]
    p.family = birth_family
    if with_prev:
        add_prev_names(rng, p)
    return p.finish()


def add_prev_names(rng, p):
    given = p.given
    if p.bg in ("polish", "russian", "romanian", "lithuanian") and p.gtoks[0] in ANGLICISE and rng.random() < 0.2:
        p.prev = [(given, p.family)]
        p.gtoks = [ANGLICISE[p.gtoks[0]]] + p.gtoks[1:]
        p.tags.add("anglicised")
        return
    r = rng.random()
    if p.gender == "F" and p.dob.year <= 1996 and r < 0.55:
        sp_bg = p.bg if rng.random() < 0.75 else "english"
        married = gen_family(rng, sp_bg, "F", married=True)
        if p.bg == "lithuanian" and sp_bg == "lithuanian":
            married = feminize("lithuanian", LIT_FAM.pick(rng), married=True)
        if fam_compat(married, p.family):
            return
        rr = rng.random()
        if rr < 0.1:       # divorced and remarried
            second = gen_family(rng, sp_bg, "F", married=True)
            if fam_compat(second, married) or fam_compat(second, p.family):
                return
            p.prev = [(given, p.family), (given, married)]
            p.family = second
        elif rr < 0.2:     # reverted to maiden name; married name is the alias
            p.prev = [(given, married)]
        else:
            p.prev = [(given, p.family)]
            p.family = married
        p.tags.add("married")
        return
    r = rng.random()
    if r < 0.075:         # deed poll
        nbg = p.bg if rng.random() < 0.4 else "english"
        newfam = gen_family(rng, nbg, p.gender)
        if fam_compat(newfam, p.family):
            return
        newg = p.gtoks
        if rng.random() < 0.35:
            gt, _ = gen_given(rng, nbg if nbg in BRITISH_LIKE else "english", p.gender, p.dob.year)
            newg = gt
        p.prev = [(given, p.family)]
        p.family, p.gtoks = newfam, list(newg)
        p.tags.add("deedpoll")
    elif r < 0.25 and p.bg == "chinese" and len(p.gtoks) == 1 and p.gtoks[0] in CN_GIVEN_1 + CN_GIVEN_2:
        p.prev = [(given, p.family)]
        eng = era_pool(rng, p.gender, p.dob.year).pick(rng)
        p.gtoks = [eng] + (p.gtoks if rng.random() < 0.5 else [])
        p.tags.add("anglicised")
    elif r < 0.075 and p.gender == "M" and p.bg in BRITISH_LIKE and "-" not in p.family and " " not in p.family:
        wife = ENG_FAM.pick(rng)
        if not fam_compat(wife, p.family):
            p.prev = [(given, p.family)]
            p.family = wife + "-" + p.family
            p.db = True
            p.tags.add("married")


# =============================================================================
# Registry with a dob index and conflict search
# =============================================================================
class Registry:
    def __init__(self):
        self.people = []
        self.by_dob = defaultdict(list)
        self.by_ni = {}

    def add(self, p):
        self.people.append(p)
        self.by_dob[ds(p.dob)].append(p)
        if p.ni:
            self.by_ni[p.ni] = p

    def candidates(self, dob):
        if dob is None:
            return list(self.people)
        out = []
        for k in close_date_keys(dob):
            lst = self.by_dob.get(k)
            if lst:
                out.extend(lst)
        return [p for p in out if dob_close(dob, p.dob)]

    def conflicts(self, names, dob, ni=None, ni_radius=1):
        """Listed people whom the check could plausibly be (loose, conservative)."""
        qrecs = [NameRec(g, f) for g, f in names]
        hits = []
        for p in self.candidates(dob):
            if any(name_similar(q, r) for q in qrecs for r in p.recs):
                hits.append(p)
        if ni:
            n = ni_norm(ni)
            for p in self.people:
                if p.ni and hamming(p.ni, n) <= ni_radius and p not in hits:
                    hits.append(p)
        return hits

    def ni_far(self, ni, radius=2):
        return all(hamming(ni, x) > radius for x in self.by_ni)


def fresh_ni(rng, reg, taken=None):
    while True:
        n = rand_ni(rng)
        if reg.ni_far(n, 2) and (taken is None or n not in taken):
            return n


COMMON_CLUSTERS = [
    ("John", "Smith", "english", "M", 8), ("David", "Smith", "english", "M", 6),
    ("David", "Jones", "welsh", "M", 7), ("Mohammed", "Khan", "pakistani", "M", 6),
    ("Muhammad", "Khan", "pakistani", "M", 3), ("Mohammed", "Ali", "pakistani", "M", 5),
    ("Mohammed", "Hussain", "pakistani", "M", 4), ("Mohammed", "Ahmed", "bangladeshi", "M", 4),
    ("Michael", "Murphy", "irish", "M", 5), ("James", "Brown", "english", "M", 5),
    ("Paul", "Williams", "english", "M", 5), ("Sarah", "Jones", "english", "F", 5),
    ("Gurpreet", "Singh", "sikh", "M", 4), ("Wei", "Zhang", "chinese", "M", 3),
    ("Mark", "Taylor", "english", "M", 4), ("Emma", "Smith", "english", "F", 4),
    ("Daniel", "Wilson", "english", "M", 3), ("Christopher", "Evans", "welsh", "M", 3),
    ("Susan", "Smith", "english", "F", 3), ("Fatima", "Begum", "bangladeshi", "F", 4),
    ("Peter", "Jones", "english", "M", 3), ("Robert", "Brown", "english", "M", 3),
    ("Mohamed", "Mohamed", "somali", "M", 3), ("Piotr", "Nowak", "polish", "M", 3),
]


def build_registry(rng):
    reg = Registry()
    plan = []
    for g, f, bg, sex, n in COMMON_CLUSTERS:
        for _ in range(n):
            plan.append(("cluster", g, f, bg, sex))
    plan += [("twin",)] * 25
    while len(plan) + 25 < N_REGISTRY:  # twins add two each
        plan.append(("random",))
    rng.shuffle(plan)
    stats = Counter()

    def ok(p, exclude=()):
        for _ in range(40):
            c = [x for x in reg.conflicts(p.names(), p.dob) if x not in exclude]
            if not c:
                return True
            p.dob = dt.date.fromordinal(rng.randint(dt.date(1955, 1, 1).toordinal(), dt.date(2004, 12, 31).toordinal()))
            stats["dob_resampled"] += 1
        return False

    for item in plan:
        if len(reg.people) >= N_REGISTRY:
            break
        if item[0] == "cluster":
            _, g, f, bg, sex = item
            while True:
                p = gen_person(rng, bg=bg, gender=sex, with_prev=False)
                p.gtoks = [g] + (p.gtoks[1:] if rng.random() < 0.5 else [])
                if bg == "sikh" and "Singh" in p.gtoks:
                    p.gtoks = [g]
                p.family, p.db = f, False
                p.tags.add("cluster")
                p.finish()
                if ok(p):
                    break
            reg.add(p)
        elif item[0] == "twin":
            while True:
                a = gen_person(rng, with_prev=False)
                if not ok(a):
                    continue
                reg.add(a)
                break
            for _ in range(200):
                b = gen_person(rng, bg=a.bg, dob=a.dob, with_prev=False)
                base = masculine(a.bg, a.family)
                b.family = feminize(a.bg, base, married=False) if b.gender == "F" else base
                b.db = a.db
                b.finish()
                if strip_accents(b.gtoks[0])[0].lower() == strip_accents(a.gtoks[0])[0].lower():
                    continue
                if any(tok_compat(x, y) for r1 in a.recs for r2 in b.recs for x in r1.gtoks for y in r2.gtoks):
                    continue
                if reg.conflicts(b.names(), b.dob):
                    continue
                b.twin_of, a.twin_of = a, b
                a.tags.add("twin")
                b.tags.add("twin")
                reg.add(b)
                break
        else:
            while True:
                p = gen_person(rng)
                if ok(p):
                    break
            reg.add(p)
    while len(reg.people) < N_REGISTRY:
        p = gen_person(rng)
        if ok(p):
            reg.add(p)
    # identifiers, list, keys
    people = reg.people[:N_REGISTRY]
    rng.shuffle(people)
    final = Registry()
    taken = set()
    for i, p in enumerate(people):
        p.key = "p%d" % i
        if rng.random() < 0.70:
            while True:
                n = rand_ni(rng)
                if n not in taken and all(hamming(n, t) > 1 for t in final.by_ni):
                    break
            p.ni = n
            taken.add(n)
        p.list = rng.choices(["BARRED", "ADVISORY", "INVESTIGATION"], weights=[58, 21, 21])[0]
        final.add(p)
    return final, stats


# =============================================================================
# Variation operators
# =============================================================================
KB_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
KB_ADJ = defaultdict(set)
for r, row in enumerate(KB_ROWS):
    for i, ch in enumerate(row):
        for j in (i - 1, i + 1):
            if 0 <= j < len(row):
                KB_ADJ[ch].add(row[j])
        if r > 0:
            for j in (i, i + 1):
                if 0 <= j < len(KB_ROWS[r - 1]):
                    KB_ADJ[ch].add(KB_ROWS[r - 1][j])
        if r < 2:
            for j in (i - 1, i):
                if 0 <= j < len(KB_ROWS[r + 1]):
                    KB_ADJ[ch].add(KB_ROWS[r + 1][j])
KB_ADJ = {k: sorted(v) for k, v in KB_ADJ.items()}


def typo(rng, word):
    """One keyboard slip in an ASCII-letter word: adjacent-key substitution, deletion,
    insertion (adjacent key or doubled letter), or transposition of adjacent letters."""
    pos = [i for i, c in enumerate(word) if c.isascii() and c.isalpha()]
    if len(pos) < 4:
        return None, None
    for _ in range(60):
        op = rng.choices(["sub", "del", "ins", "trans"], weights=[35, 25, 20, 20])[0]
        i = rng.choice(pos)
        if i == 0 and rng.random() > 0.1:
            continue
        c = word[i]
        if op == "sub":
            n = rng.choice(KB_ADJ[c.lower()])
            new = word[:i] + (n.upper() if c.isupper() else n) + word[i + 1:]
        elif op == "del":
            doubled = [j for j in pos if j > 0 and word[j] == word[j - 1]]
            if doubled and rng.random() < 0.5:
                i = rng.choice(doubled)
            if i == 0:
                continue
            new = word[:i] + word[i + 1:]
        elif op == "ins":
            n = c.lower() if rng.random() < 0.4 else rng.choice(KB_ADJ[c.lower()])
            new = word[: i + 1] + n + word[i + 1:]
        else:
            if i + 1 >= len(word) or not word[i + 1].isalpha() or word[i] == word[i + 1]:
                continue
            if word[i].isupper() or word[i + 1].isupper():
                continue
            new = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if norm(new) != norm(word):
            return new, op
    return None, None


ADD_ACCENT = {"Zoe": "Zoë", "Chloe": "Chloë", "Sean": "Seán", "Jose": "José", "Renee": "Renée", "Rene": "René",
              "Andre": "André", "Noel": "Noël", "Eamonn": "Éamonn", "Ciaran": "Ciarán", "Roisin": "Róisín",
              "Sinead": "Sinéad", "Siobhan": "Siobhán", "Padraig": "Pádraig", "Seamus": "Séamus",
              "Muller": "Müller", "Lukasz": "Łukasz", "Nunez": "Núñez", "Celine": "Céline", "Jerome": "Jérôme",
              "Helene": "Hélène", "Anais": "Anaïs", "Sian": "Siân", "Zoé": None}
ADD_ACCENT = {k: v for k, v in ADD_ACCENT.items() if v}


def accent_variants(tok):
    out = []
    plain = strip_accents(tok)
    if plain != tok:
        out.append(("strip", plain))
        if re.search("[äöüÄÖÜß]", tok):
            g = tok
            for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
                g = g.replace(a, b)
            out.append(("german", strip_accents(g)))
        if re.search("[øåæØÅÆ]", tok):
            g = tok
            for a, b in (("ø", "oe"), ("å", "aa"), ("æ", "ae"), ("Ø", "Oe"), ("Å", "Aa"), ("Æ", "Ae")):
                g = g.replace(a, b)
            out.append(("nordic", strip_accents(g)))
    if tok in ADD_ACCENT:
        out.append(("add", ADD_ACCENT[tok]))
    return out


def translit_variants(tok, bg):
    if tok in VARIANT_ONLY and bg not in VARIANT_ONLY[tok]:
        return []
    for groups, bgs in TL_TARGET_BG:
        if bg not in bgs:
            continue
        for group in groups:
            names = group.split()
            if tok in names:
                return [n for n in names if n != tok and norm(n) != norm(tok)
                        and (n not in VARIANT_ONLY or bg in VARIANT_ONLY[n])]
    return []


MC_BASES = set("""donald leod kenzie gregor lean intyre kay millan pherson lachlan farlane kinnon neil allister
    cormack dougall innes aulay ewan laren kenna carthy manus mahon namara guire bride gowan lellan alpine
    arthur bain queen ivor iver nab rae leish laughlin loughlin connell cartney gee gill""".split())


def mc_parts(fam):
    m = re.fullmatch(r"(Mc|Mac)([A-Za-z]+)", fam)
    if not m:
        return None
    if m.group(2).lower() not in MC_BASES:
        return None
    return m.group(1), m.group(2)


def date_variants_one_digit(rng, d):
    s = ds(d)
    for _ in range(100):
        i = rng.choice([2, 3, 3, 4, 5, 5, 6, 7, 7])
        c = rng.choice([x for x in "0123456789" if x != s[i]])
        t = s[:i] + c + s[i + 1:]
        nd = valid_date(int(t[:4]), int(t[4:6]), int(t[6:]))
        if nd and nd != d and not (nd.year == d.year and (nd.month, nd.day) == (d.day, d.month)) and 1940 <= nd.year <= 2007:
            return nd
    return None


def swap_dm(d):
    if d.day <= 12 and d.month <= 12 and d.day != d.month:
        return dt.date(d.year, d.day, d.month)
    return None


def year_apart(rng, d):
    dy = rng.choice([-1, 1])
    return valid_date(d.year + dy, d.month, d.day) or valid_date(d.year - dy, d.month, d.day)


def case_space(rng, given, family):
    ops = rng.sample(["fam_upper", "all_upper", "all_lower", "given_lower", "pad", "double", "nospace",
                      "given_upper", "fam_lower"], k=rng.choice([1, 2, 2, 3]))
    g, f = given, family
    for op in ops:
        if op == "fam_upper":
            f = f.upper()
        elif op == "fam_lower":
            f = f.lower()
        elif op == "all_upper":
            g, f = g.upper(), f.upper()
        elif op == "all_lower":
            g, f = g.lower(), f.lower()
        elif op == "given_lower":
            g = g.lower()
        elif op == "given_upper":
            g = g.upper()
        elif op == "pad":
            g = rng.choice([" ", "  ", ""]) + g + rng.choice([" ", "  "])
            f = rng.choice(["", " "]) + f + rng.choice([" ", "", "  "])
        elif op == "double":
            if " " in g.strip():
                g = g.replace(" ", "  ", 1)
            elif " " in f.strip():
                f = f.replace(" ", "  ", 1)
            else:
                g = g + "  "
        elif op == "nospace":
            if " " in f.strip() and rng.random() < 0.8:
                f = f.replace(" ", "", 1)
            elif " " in g.strip() and rng.random() < 0.35:
                g = g.replace(" ", "", 1)
            else:
                f = " " + f + " "
    if rng.random() < 0.03:
        g = g.replace(" ", "\u00a0") if " " in g else "\u00a0" + g
    return g, f


# =============================================================================
# Query generation
# =============================================================================
STRONG = {"exact", "case_space", "accents", "apostrophe", "mc_mac", "hyphen_joined", "middle_dropped",
          "middle_added", "alias_used", "prev_declared", "married_name", "ni_match"}
FLAG = {"hyphen_one_part", "initial_given", "nickname", "given_typo", "family_typo", "swapped", "translit",
        "dob_swapped", "dob_one_digit", "dob_year_apart", "dob_missing", "nickname+dob_swapped",
        "typo+middle_dropped", "accents+swapped", "hyphen_one_part+dob_year_apart"}
POS_ORDER = ["exact", "case_space", "accents", "apostrophe", "mc_mac", "hyphen_one_part", "hyphen_joined",
             "middle_dropped", "middle_added", "initial_given", "nickname", "given_typo", "family_typo",
             "swapped", "translit", "dob_swapped", "dob_one_digit", "dob_year_apart", "dob_missing",
             "alias_used", "prev_declared", "married_name", "ni_match", "nickname+dob_swapped",
             "typo+middle_dropped", "accents+swapped", "hyphen_one_part+dob_year_apart"]
NEG_ORDER = ["neg_random", "neg_same_name_other_dob", "neg_same_dob_other_name", "neg_sibling",
             "neg_common_name", "neg_twin", "neg_ni_other"]
N_POS, N_COMBO, N_NEG = 85, 70, 110


class Gen:
    def __init__(self, rng, reg):
        self.rng, self.reg = rng, reg
        self.notes = Counter()
        self.detail = defaultdict(Counter)
        self.ni_taken = set(reg.by_ni)

    # --- helpers -------------------------------------------------------------
    def tag(self, t):
        self._tags.append(t)

    def q(self, p, given, family, dob, prev=None, ni=None):
        return {"given_names": given, "family_name": family, "dob": dob, "previous_names": prev or [],
                "ni": ni, "_target": p}

    def new_family_for(self, p):
        for _ in range(50):
            bg = p.bg if self.rng.random() < 0.6 else "english"
            f = gen_family(self.rng, bg, p.gender, married=True)
            if not any(fam_compat(f, fam) for _, fam in p.names()) and not any(fam_compat(f, t) for t in p.gtoks):
                return f
        return None

    def maybe_supply_ni(self, p, qd, kind):
        if p is not None and p.ni is None and kind not in ("ni_match",) and self.rng.random() < 0.2:
            n = fresh_ni(self.rng, self.reg, self.ni_taken)
            self.ni_taken.add(n)
            qd["ni"] = n
            self.detail[kind]["NI supplied (target has none recorded)"] += 1

    # --- positive makers: return query dict or None --------------------------------
    def mk_exact(self, p):
        prev = [{"given_names": g, "family_name": f} for g, f in p.prev] if p.prev and self.rng.random() < 0.3 else []
        return self.q(p, p.given, p.family, p.dob, prev)

    def mk_case_space(self, p):
        g, f = case_space(self.rng, p.given, p.family)
        if g == p.given and f == p.family:
            return None
        return self.q(p, g, f, p.dob)

    def _accent_name(self, p, g_toks, fam):
        opts = []
        for i, t in enumerate(g_toks):
            for how, v in accent_variants(t):
                opts.append(("g", i, how, v))
        ftoks = fam.split(" ")
        for i, t in enumerate(ftoks):
            for part_i, part in enumerate(t.split("-")):
                for how, v in accent_variants(part):
                    opts.append(("f", (i, part_i), how, v))
        if not opts:
            return None
        g_new, f_new = list(g_toks), [t.split("-") for t in ftoks]
        chosen = {}
        # pick one variant per slot; apply to all slots with prob 0.65, else one slot only
        slots = sorted({(o[0], o[1]) for o in opts}, key=str)
        use = slots if self.rng.random() < 0.65 else [self.rng.choice(slots)]
        hows = []
        for s in use:
            cands = [o for o in opts if (o[0], o[1]) == s]
            o = self.rng.choice(cands)
            hows.append(o[2])
            if s[0] == "g":
                g_new[s[1]] = o[3]
            else:
                f_new[s[1][0]][s[1][1]] = o[3]
        return " ".join(g_new), " ".join("-".join(x) for x in f_new), hows

    def mk_accents(self, p):
        r = self._accent_name(p, p.gtoks, p.family)
        if not r:
            return None
        g, f, hows = r
        for h in hows:
            self.tag(h)
        return self.q(p, g, f, p.dob)

    def mk_apostrophe(self, p):
        m = re.search(r"\b([OD])'([A-Z][a-z]+)", p.family)
        if not m:
            return None
        pre, base = m.group(1), m.group(2)
        how = self.rng.choices(["remove", "space", "curly", "lower", "backtick"], weights=[35, 25, 25, 10, 5])[0]
        rep = {"remove": pre + base, "space": pre + " " + base, "curly": pre + "’" + base,
               "lower": pre + base.lower(), "backtick": pre + "`" + base}[how]
        self.tag(how)
        return self.q(p, p.given, p.family[:m.start()] + rep + p.family[m.end():], p.dob)

    def mk_mc_mac(self, p):
        mp = mc_parts(p.family)
        if not mp:
            return None
        pre, base = mp
        if pre == "Mc":
            how = self.rng.choices(["Mc X", "Mcx", "MacX", "Macx"], weights=[25, 20, 35, 20])[0]
        else:
            how = self.rng.choices(["McX", "Mac X", "case"], weights=[55, 20, 25])[0]
        b = base[0].upper() + base[1:]
        rep = {"Mc X": "Mc " + b, "Mcx": "Mc" + b.lower(), "MacX": "Mac" + b, "Macx": "Mac" + b.lower(),
               "McX": "Mc" + b, "Mac X": "Mac " + b,
               "case": "Mac" + (b.lower() if base[0].isupper() else b)}[how]
        if rep == p.family:
            return None
        self.tag(how)
        return self.q(p, p.given, rep, p.dob)

    def _db_parts(self, p):
        if not p.db or "-" not in p.family or " " in p.family:
            return None
        parts = p.family.split("-")
        return parts if len(parts) == 2 else None

    def _db_part_choices(self, p, parts):
        prevfam = {norm(f) for _, f in p.prev}
        return [i for i in (0, 1) if norm(parts[i]) not in prevfam]

    def mk_hyphen_one_part(self, p, dob=None):
        parts = self._db_parts(p)
        if not parts:
            return None
        choices = self._db_part_choices(p, parts)
        if not choices:
            return None
        i = self.rng.choice(choices)
        self.tag("first part" if i == 0 else "second part")
        return self.q(p, p.given, parts[i], dob or p.dob)

    def mk_hyphen_joined(self, p):
        parts = self._db_parts(p)
        if not parts:
            return None
        how = self.rng.choices(["space", "joined", "joined_lower"], weights=[60, 20, 20])[0]
        f = {"space": " ".join(parts), "joined": "".join(parts), "joined_lower": parts[0] + parts[1].lower()}[how]
        self.tag(how)
        return self.q(p, p.given, f, p.dob)

    def mk_middle_dropped(self, p):
        if len(p.gtoks) < 2 or not p.droppable or p.bg == "vietnamese":
            return None
        return self.q(p, p.gtoks[0], p.family, p.dob)

    def mk_middle_added(self, p):
        if len(p.gtoks) != 1 or p.bg in ("vietnamese", "chinese"):
            return None
        if p.bg in BRITISH_LIKE:
            pool = MID_M_P if p.gender == "M" else MID_F_P
        elif p.bg in GIVEN_POOLS:
            pool = GIVEN_POOLS[p.bg][0 if p.gender == "M" else 1]
        elif p.bg in ("yoruba", "igbo", "ghanaian"):
            pool = AFR_X[0 if p.gender == "M" else 1]
        else:
            return None
        m = pick_other(self.rng, pool, p.gtoks)
        if not m or any(tok_compat(norm(m), norm(t)) for t in p.gtoks):
            return None
        return self.q(p, p.gtoks[0] + " " + m, p.family, p.dob)

    def mk_initial_given(self, p):
        first = strip_accents(p.gtoks[0])[0].upper()
        if not first.isalpha():
            return None
        style = self.rng.choices(["J", "J.", "J R", "J.R.", "J. R."], weights=[35, 35, 10, 10, 10])[0]
        if len(p.gtoks) >= 2 and style in ("J R", "J.R.", "J. R."):
            second = strip_accents(p.gtoks[1])[0].upper()
            g = {"J R": f"{first} {second}", "J.R.": f"{first}.{second}.", "J. R.": f"{first}. {second}."}[style]
        else:
            style = "J" if style == "J R" else "J." if style in ("J.R.", "J. R.") else style
            g = first + ("." if style == "J." else "")
        self.tag(style)
        return self.q(p, g, p.family, p.dob)

    def mk_nickname(self, p, dob=None):
        t = p.gtoks[0]
        if t not in NICK_UK:
            return None
        extra = [n for n in NICK_UK[t] if norm(n) not in REL_CSV.get(norm(t), set())]
        nick = self.rng.choice(extra if extra and self.rng.random() < 0.5 else NICK_UK[t])
        in_csv = norm(nick) in REL_CSV.get(norm(t), set())
        self.tag("pair in public csv" if in_csv else "pair NOT in public csv (British addition)")
        g = nick + (" " + " ".join(p.gtoks[1:]) if len(p.gtoks) > 1 and self.rng.random() < 0.15 else "")
        return self.q(p, g, p.family, dob or p.dob)

    def mk_given_typo(self, p):
        t = p.gtoks[0]
        new, op = typo(self.rng, t)
        if not new:
            return None
        self.tag(op)
        return self.q(p, " ".join([new] + p.gtoks[1:]), p.family, p.dob)

    def mk_family_typo(self, p):
        toks = re.split(r"([ -])", p.family)
        idx = [i for i, t in enumerate(toks) if len(t) >= 4 and t.isalpha() and t.isascii()]
        if not idx:
            return None
        i = max(idx, key=lambda k: len(toks[k])) if self.rng.random() < 0.7 else self.rng.choice(idx)
        new, op = typo(self.rng, toks[i])
        if not new:
            return None
        toks[i] = new
        self.tag(op)
        return self.q(p, p.given, "".join(toks), p.dob)

    def mk_swapped(self, p):
        if self.rng.random() < 0.7 or len(p.gtoks) == 1:
            f = p.gtoks[0]
        else:
            f = p.given
        return self.q(p, p.family, f, p.dob)

    def mk_translit(self, p):
        opts = []
        for i, t in enumerate(p.gtoks):
            for v in translit_variants(t, p.bg):
                opts.append(("g", i, t, v))
        for v in translit_variants(p.family, p.bg):
            opts.append(("f", 0, p.family, v))
        if not opts:
            return None
        kind, i, old, new = self.rng.choice(opts)
        self.tag(f"{old}->{new}")
        if kind == "g":
            g = list(p.gtoks)
            g[i] = new
            return self.q(p, " ".join(g), p.family, p.dob)
        return self.q(p, p.given, new, p.dob)

    def mk_dob_swapped(self, p):
        d = swap_dm(p.dob)
        return self.q(p, p.given, p.family, d) if d else None

    def mk_dob_one_digit(self, p):
        d = date_variants_one_digit(self.rng, p.dob)
        return self.q(p, p.given, p.family, d) if d else None

    def mk_dob_year_apart(self, p):
        d = year_apart(self.rng, p.dob)
        return self.q(p, p.given, p.family, d) if d else None

    def mk_dob_missing(self, p):
        return self.q(p, p.given, p.family, None)

    def mk_alias_used(self, p):
        if not p.prev:
            return None
        g, f = self.rng.choice(p.prev)
        return self.q(p, g, f, p.dob)

    def mk_prev_declared(self, p):
        f = self.new_family_for(p)
        if not f:
            return None
        g = p.given
        if self.rng.random() < 0.35:
            gt, _ = gen_given(self.rng, "english" if p.bg not in BRITISH_LIKE else p.bg, p.gender, p.dob.year)
            if not any(tok_compat(norm(a), norm(b)) for a in gt for b in p.gtoks):
                g = " ".join(gt)
                self.tag("new given and family")
            else:
                self.tag("new family only")
        else:
            self.tag("new family only")
        prev = [{"given_names": p.given, "family_name": p.family}]
        if self.rng.random() < 0.2:
            f2 = self.new_family_for(p)
            if f2 and not fam_compat(f2, f):
                prev.insert(0, {"given_names": p.given, "family_name": f2})
                self.tag("two previous names declared")
        return self.q(p, g, f, p.dob, prev)

    def mk_married_name(self, p):
        if p.gender != "F" or p.prev:
            return None
        f = self.new_family_for(p)
        if not f:
            return None
        g = p.given if self.rng.random() < 0.8 else p.gtoks[0]
        return self.q(p, g, f, p.dob, [{"given_names": p.given, "family_name": p.family}])

    def mk_ni_match(self, p):
        if not p.ni:
            return None
        for _ in range(50):
            o = gen_person(self.rng, gender=p.gender if self.rng.random() < 0.8 else None, with_prev=False)
            if any(name_similar(o.recs[0], r) for r in p.recs):
                continue
            if dob_close(o.dob, p.dob) or abs(o.dob.year - p.dob.year) < 3:
                continue
            fmt = self.rng.random()
            if fmt < 0.7:
                ni = p.ni
                self.tag("NI compact")
            else:
                ni = f"{p.ni[:2]} {p.ni[2:4]} {p.ni[4:6]} {p.ni[6:8]} {p.ni[8]}"
                self.tag("NI spaced (AB 12 34 56 C)")
            return self.q(p, o.given, o.family, o.dob, [], ni)
        return None

    def mk_nick_dobswap(self, p):
        d = swap_dm(p.dob)
        if not d:
            return None
        return self.mk_nickname(p, dob=d)

    def mk_typo_middle(self, p):
        if len(p.gtoks) < 2 or not p.droppable or p.bg == "vietnamese":
            return None
        if self.rng.random() < 0.5:
            new, op = typo(self.rng, p.gtoks[0])
            if not new:
                return None
            return self.q(p, new, p.family, p.dob)
        toks = re.split(r"([ -])", p.family)
        idx = [i for i, t in enumerate(toks) if len(t) >= 4 and t.isalpha() and t.isascii()]
        if not idx:
            return None
        i = self.rng.choice(idx)
        new, op = typo(self.rng, toks[i])
        if not new:
            return None
        toks[i] = new
        return self.q(p, p.gtoks[0], "".join(toks), p.dob)

    def mk_accents_swapped(self, p):
        r = self._accent_name(p, p.gtoks, p.family)
        if not r:
            return None
        g, f, _ = r
        gt = g.split(" ")
        return self.q(p, f, gt[0] if self.rng.random() < 0.7 else g, p.dob)

    def mk_hyph_year(self, p):
        d = year_apart(self.rng, p.dob)
        if not d:
            return None
        return self.mk_hyphen_one_part(p, dob=d)

    MAKERS = {
        "exact": "mk_exact", "case_space": "mk_case_space", "accents": "mk_accents",
        "apostrophe": "mk_apostrophe", "mc_mac": "mk_mc_mac", "hyphen_one_part": "mk_hyphen_one_part",
        "hyphen_joined": "mk_hyphen_joined", "middle_dropped": "mk_middle_dropped",
        "middle_added": "mk_middle_added", "initial_given": "mk_initial_given", "nickname": "mk_nickname",
        "given_typo": "mk_given_typo", "family_typo": "mk_family_typo", "swapped": "mk_swapped",
        "translit": "mk_translit", "dob_swapped": "mk_dob_swapped", "dob_one_digit": "mk_dob_one_digit",
        "dob_year_apart": "mk_dob_year_apart", "dob_missing": "mk_dob_missing", "alias_used": "mk_alias_used",
        "prev_declared": "mk_prev_declared", "married_name": "mk_married_name", "ni_match": "mk_ni_match",
        "nickname+dob_swapped": "mk_nick_dobswap", "typo+middle_dropped": "mk_typo_middle",
        "accents+swapped": "mk_accents_swapped", "hyphen_one_part+dob_year_apart": "mk_hyph_year",
    }

    def positives(self, kind, n):
        maker = getattr(self, self.MAKERS[kind])
        people = list(self.reg.people)
        self.rng.shuffle(people)
        out = []
        for p in people:
            if len(out) >= n:
                break
            self._tags = []
            qd = maker(p)
            if qd is None:
                continue
            names = [(qd["given_names"], qd["family_name"])] + [(x["given_names"], x["family_name"]) for x in qd["previous_names"]]
            c = self.reg.conflicts(names, qd["dob"], qd["ni"], ni_radius=1)
            if kind != "ni_match" and p not in c:
                # our loose similarity does not see this as the target: note it, keep the row
                self.notes[f"{kind}: target not seen by checker's loose similarity"] += 1
            others = [x for x in c if x is not p]
            if others:
                self.notes[f"{kind}: skipped (ambiguous with another listed person)"] += 1
                continue
            self.maybe_supply_ni(p, qd, kind)
            for t in self._tags:
                self.detail[kind][t] += 1
            qd["kind"], qd["expect"] = kind, ("strong" if kind in STRONG else "flag")
            out.append(qd)
        if len(out) < n:
            self.notes[f"{kind}: only {len(out)} of {n} made"] += 1
        return out

    # --- negatives -------------------------------------------------------------
    def neg_ok(self, names, dob, ni=None):
        return not self.reg.conflicts(names, dob, ni, ni_radius=2)

    def negq(self, kind, given, family, dob, prev=None, ni=None, meta=None):
        qd = {"given_names": given, "family_name": family, "dob": dob, "previous_names": prev or [], "ni": ni,
              "_target": None, "kind": kind, "expect": "clear"}
        if ni is None and kind != "neg_ni_other" and self.rng.random() < 0.15:
            n = fresh_ni(self.rng, self.reg, self.ni_taken)
            self.ni_taken.add(n)
            qd["ni"] = n
            self.detail[kind]["unrelated NI supplied"] += 1
        return qd

    @staticmethod
    def names_of(given, family, prev):
        return [(given, family)] + [(g, f) for g, f in prev]

    def rand_dob(self, y0=1955, y1=2004):
        return dt.date.fromordinal(self.rng.randint(dt.date(y0, 1, 1).toordinal(), dt.date(y1, 12, 31).toordinal()))

    def far_dob(self, d, min_years):
        for _ in range(200):
            y = d.year + self.rng.choice([-1, 1]) * self.rng.randint(min_years, min_years + 8)
            if not 1950 <= y <= 2007:
                continue
            nd = valid_date(y, self.rng.randint(1, 12), self.rng.randint(1, 28))
            if nd and hamming(ds(nd), ds(d)) >= 3 and not dob_close(nd, d):
                return nd
        return None

    def neg_random(self, n):
        out = []
        while len(out) < n:
            o = gen_person(self.rng)
            prev = o.prev if self.rng.random() < 0.6 else []
            if self.neg_ok(self.names_of(o.given, o.family, prev), o.dob):
                out.append(self.negq("neg_random", o.given, o.family, o.dob,
                                     [{"given_names": g, "family_name": f} for g, f in prev]))
                if prev:
                    self.detail["neg_random"]["declares previous names"] += 1
        return out

    def neg_same_name_other_dob(self, n):
        out, people = [], list(self.reg.people)
        self.rng.shuffle(people)
        for p in people:
            if len(out) >= n:
                break
            d = self.far_dob(p.dob, 3)
            if not d:
                continue
            same = [x for x in self.reg.people if norm(x.given) == norm(p.given) and norm(x.family) == norm(p.family)]
            if any(abs(x.dob.year - d.year) < 3 or hamming(ds(x.dob), ds(d)) < 3 for x in same):
                continue
            if self.neg_ok([(p.given, p.family)], d):
                out.append(self.negq("neg_same_name_other_dob", p.given, p.family, d))
        return out

    def neg_same_dob_other_name(self, n):
        out, people = [], list(self.reg.people)
        self.rng.shuffle(people)
        for p in people:
            if len(out) >= n:
                break
            for _ in range(10):
                o = gen_person(self.rng, bg=p.bg if self.rng.random() < 0.5 else None, with_prev=False)
                toks_p = {t for r in p.recs for t in r.alltoks}
                toks_o = set(o.recs[0].alltoks)
                if any(tok_compat(a, b) for a in toks_o for b in toks_p):
                    continue
                if any(fam_compat(o.family, f) for _, f in p.names()):
                    continue
                if self.neg_ok([(o.given, o.family)], p.dob):
                    out.append(self.negq("neg_same_dob_other_name", o.given, o.family, p.dob))
                    if o.bg == p.bg:
                        self.detail["neg_same_dob_other_name"]["same background as listed person"] += 1
                    break
        return out

    def _other_given(self, p, gender):
        for _ in range(30):
            g, _ = gen_given(self.rng, p.bg, gender, p.dob.year)
            if p.bg == "sikh" and p.gtoks[-1] in ("Singh", "Kaur"):
                g = g + [("Singh" if gender == "M" else "Kaur")]
            gt = [norm(x) for x in g]
            if any(tok_compat(a, b) for a in gt for r in p.recs for b in r.gtoks):
                continue
            return g
        return None

    def neg_sibling(self, n):
        out, people = [], list(self.reg.people)
        self.rng.shuffle(people)
        for p in people:
            if len(out) >= n:
                break
            if p.prev and "married" in p.tags:
                continue  # a sibling shares the birth surname, keep it simple
            sex = p.gender if self.rng.random() < 0.5 else ("F" if p.gender == "M" else "M")
            g = self._other_given(p, sex)
            if not g:
                continue
            d = None
            for _ in range(50):
                y = p.dob.year + self.rng.choice([-1, 1]) * self.rng.randint(2, 9)
                cand = valid_date(y, self.rng.randint(1, 12), self.rng.randint(1, 28))
                if cand and 1950 <= y <= 2007 and not dob_close(cand, p.dob) and hamming(ds(cand), ds(p.dob)) >= 3:
                    d = cand
                    break
            if not d:
                continue
            fam = feminize(p.bg, masculine(p.bg, p.family), married=False) if sex == "F" else masculine(p.bg, p.family)
            if self.neg_ok([(" ".join(g), fam)], d):
                out.append(self.negq("neg_sibling", " ".join(g), fam, d))
        return out

    def neg_twin(self, n):
        out, people = [], list(self.reg.people)
        self.rng.shuffle(people)
        for p in people:
            if len(out) >= n:
                break
            if p.prev and "married" in p.tags:
                continue
            sex = p.gender if self.rng.random() < 0.6 else ("F" if p.gender == "M" else "M")
            g = self._other_given(p, sex)
            if not g:
                continue
            if strip_accents(g[0])[0].lower() == strip_accents(p.gtoks[0])[0].lower():
                continue
            fam = feminize(p.bg, masculine(p.bg, p.family), married=False) if sex == "F" else masculine(p.bg, p.family)
            if norm(fam) != norm(p.family) and p.bg not in ("polish", "russian", "lithuanian"):
                continue
            if self.neg_ok([(" ".join(g), fam)], p.dob):
                out.append(self.negq("neg_twin", " ".join(g), fam, p.dob))
                self.detail["neg_twin"]["same sex" if sex == p.gender else "opposite sex"] += 1
        return out

    def neg_common_name(self, n):
        cnt = Counter()
        for p in self.reg.people:
            cnt[(p.gtoks[0], p.family)] += 1
        common = [k for k, v in cnt.most_common() if v >= 3]
        fixed = [(g, f) for g, f, *_ in COMMON_CLUSTERS]
        names = dedupe(fixed + common)
        out = []
        i = 0
        while len(out) < n:
            g, f = names[i % len(names)]
            i += 1
            bg = next((c[2] for c in COMMON_CLUSTERS if (c[0], c[1]) == (g, f)), "english")
            gg = g
            if self.rng.random() < 0.25:
                sex = "F" if g in ERA_F_P[1] or g in ("Sarah", "Emma", "Susan", "Fatima") else "M"
                m = pick_other(self.rng, MID_M_P if sex == "M" else MID_F_P, [g])
                if m:
                    gg = g + " " + m
            for _ in range(200):
                d = self.rand_dob()
                if self.neg_ok([(gg, f)], d):
                    similar = sum(1 for p in self.reg.people if any(name_similar(NameRec(gg, f), r) for r in p.recs))
                    out.append(self.negq("neg_common_name", gg, f, d))
                    self.detail["neg_common_name"][f"{g} {f} (similar-named listed: {similar})"] += 1
                    break
        return out

    def neg_ni_other(self, n):
        out, people = [], [p for p in self.reg.people if p.ni]
        self.rng.shuffle(people)
        for p in people:
            if len(out) >= n:
                break
            mode = "same dob, other name" if len(out) % 5 < 3 else "same family, other given, other dob"
            ni = fresh_ni(self.rng, self.reg, self.ni_taken)
            if mode.startswith("same dob"):
                o = gen_person(self.rng, with_prev=False)
                if any(name_similar(o.recs[0], r) for r in p.recs):
                    continue
                qn, d = (o.given, o.family), p.dob
            else:
                g = self._other_given(p, p.gender)
                if not g:
                    continue
                d = self.far_dob(p.dob, 2)
                if not d:
                    continue
                qn = (" ".join(g), p.family)
            if self.neg_ok([qn], d, ni):
                self.ni_taken.add(ni)
                out.append(self.negq("neg_ni_other", qn[0], qn[1], d, ni=ni))
                self.detail["neg_ni_other"][mode] += 1
        return out


def masculine(bg, fam):
    if bg == "polish":
        for a, b in (("dzka", "dzki"), ("ska", "ski"), ("cka", "cki")):
            if fam.endswith(a):
                return fam[: -len(a)] + b
    if bg == "russian" and re.search(r"(ova|eva|ina)$", fam):
        return fam[:-1]
    return fam


REL_CSV = defaultdict(set)


def load_csv_rel():
    if os.path.exists(NICK_CSV):
        with open(NICK_CSV, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                a, b = norm(row["name1"].strip()), norm(row["name2"].strip())
                REL_CSV[a].add(b)
                REL_CSV[b].add(a)


# =============================================================================
# Main
# =============================================================================
def main():
    global REL
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "set"))
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    REL = build_relations()
    load_csv_rel()

    reg, rstats = build_registry(rng)
    gen = Gen(rng, reg)
    queries = []
    for kind in POS_ORDER:
        queries += gen.positives(kind, N_COMBO if "+" in kind else N_POS)
    for kind in NEG_ORDER:
        queries += getattr(gen, kind)(N_NEG)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "registry.jsonl"), "w", encoding="utf-8") as fh:
        for p in reg.people:
            fh.write(json.dumps({"key": p.key, "given_names": p.given, "family_name": p.family,
                                 "dob": iso(p.dob),
                                 "previous_names": [{"given_names": g, "family_name": f} for g, f in p.prev],
                                 "ni": p.ni, "list": p.list}, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "queries.jsonl"), "w", encoding="utf-8") as fh:
        for i, q in enumerate(queries):
            t = q["_target"]
            fh.write(json.dumps({"qid": "q%d" % i, "kind": q["kind"], "expect": q["expect"],
                                 "target": t.key if t is not None else None,
                                 "given_names": q["given_names"], "family_name": q["family_name"],
                                 "dob": iso(q["dob"]), "previous_names": q["previous_names"],
                                 "ni": q["ni"]}, ensure_ascii=False) + "\n")

    # ---- report ----
    kinds = Counter((q["kind"], q["expect"]) for q in queries)
    print("registry:", len(reg.people), "queries:", len(queries))
    print("registry stats:",
          {"with previous names": sum(1 for p in reg.people if p.prev),
           "with NI": sum(1 for p in reg.people if p.ni),
           "double-barrelled": sum(1 for p in reg.people if p.db),
           "non-ASCII name": sum(1 for p in reg.people if any(not c.isascii() for g, f in p.names() for c in g + f)),
           "twins": sum(1 for p in reg.people if p.twin_of),
           "lists": dict(Counter(p.list for p in reg.people)),
           "backgrounds": dict(Counter(p.bg for p in reg.people).most_common()),
           "tags": dict(Counter(t for p in reg.people for t in p.tags)),
           **rstats})
    for k in POS_ORDER + NEG_ORDER:
        e = "strong" if k in STRONG else "flag" if k in FLAG else "clear"
        print(f"  {k:34s} {e:6s} {kinds[(k, e)]}")
    for k, v in sorted(gen.notes.items()):
        print("note:", k, v)
    det = {k: dict(v) for k, v in gen.detail.items()}
    with open(os.path.join(args.out, "..", "gen_report.json"), "w", encoding="utf-8") as fh:
        json.dump({"kinds": {f"{k}|{e}": v for (k, e), v in sorted(kinds.items())}, "notes": dict(gen.notes),
                   "detail": det}, fh, ensure_ascii=False, indent=1, sort_keys=True)


def verify(out):
    """Re-read the written files and re-check every row from the JSON alone."""
    regrows = [json.loads(l) for l in open(os.path.join(out, "registry.jsonl"), encoding="utf-8")]
    qrows = [json.loads(l) for l in open(os.path.join(out, "queries.jsonl"), encoding="utf-8")]
    RKEYS = ["key", "given_names", "family_name", "dob", "previous_names", "ni", "list"]
    QKEYS = ["qid", "kind", "expect", "target", "given_names", "family_name", "dob", "previous_names", "ni"]
    ni_re = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")
    reg = Registry()
    errors = Counter()
    for r in regrows:
        assert list(r) == RKEYS, r
        assert r["list"] in ("BARRED", "ADVISORY", "INVESTIGATION")
        p = Person()
        p.key, p.gtoks, p.family = r["key"], r["given_names"].split(" "), r["family_name"]
        p.dob = dt.date.fromisoformat(r["dob"])
        assert dt.date(1955, 1, 1) <= p.dob <= dt.date(2004, 12, 31)
        p.prev = [(x["given_names"], x["family_name"]) for x in r["previous_names"]]
        p.ni = r["ni"]
        if p.ni and not ni_re.match(p.ni):
            errors["bad registry NI"] += 1
        reg.add(p.finish())
    keys = {p.key: p for p in reg.people}
    assert len(keys) == len(regrows)
    nis = [p.ni for p in reg.people if p.ni]
    assert len(set(nis)) == len(nis)
    for q in qrows:
        assert list(q) == QKEYS, q
        kind, exp = q["kind"], q["expect"]
        want = "strong" if kind in STRONG else "flag" if kind in FLAG else "clear"
        if exp != want:
            errors[f"{kind}: expect {exp}"] += 1
        dob = dt.date.fromisoformat(q["dob"]) if q["dob"] else None
        names = [(q["given_names"], q["family_name"])] + [(x["given_names"], x["family_name"]) for x in q["previous_names"]]
        hits = reg.conflicts(names, dob, q["ni"], ni_radius=2 if exp == "clear" else 1)
        if exp == "clear":
            if q["target"] is not None or hits:
                errors[f"{kind}: negative conflicts with {len(hits)} listed"] += 1
            continue
        t = keys.get(q["target"])
        if t is None:
            errors[f"{kind}: missing target"] += 1
            continue
        if t not in hits:
            errors[f"{kind}: target not found by loose check"] += 1
        if any(h is not t for h in hits):
            errors[f"{kind}: another listed person also plausible"] += 1
        if kind == "dob_missing" and dob is not None:
            errors[kind] += 1
        if kind in ("dob_swapped", "nickname+dob_swapped"):
            if not (dob and dob.year == t.dob.year and (dob.month, dob.day) == (t.dob.day, t.dob.month) and dob != t.dob):
                errors[kind + ": not a day/month swap"] += 1
        if kind == "dob_one_digit" and not (dob and hamming(ds(dob), ds(t.dob)) == 1):
            errors[kind] += 1
        if kind in ("dob_year_apart", "hyphen_one_part+dob_year_apart"):
            if not (dob and (dob.month, dob.day) == (t.dob.month, t.dob.day) and abs(dob.year - t.dob.year) == 1):
                errors[kind] += 1
        if kind == "ni_match":
            if ni_norm(q["ni"]) != t.ni or dob_close(dob, t.dob) or any(name_similar(NameRec(*names[0]), r) for r in t.recs):
                errors[kind] += 1
        elif kind not in ("dob_missing", "dob_swapped", "dob_one_digit", "dob_year_apart", "nickname+dob_swapped",
                          "hyphen_one_part+dob_year_apart") and dob != t.dob:
            errors[kind + ": dob differs"] += 1
        if q["ni"] and kind != "ni_match" and not reg.ni_far(ni_norm(q["ni"]), 2):
            errors[kind + ": supplied NI near a listed NI"] += 1
    for q in qrows:
        if q["kind"] == "neg_same_name_other_dob":
            d = dt.date.fromisoformat(q["dob"])
            same = [p for p in reg.people if norm(p.given) == norm(q["given_names"]) and norm(p.family) == norm(q["family_name"])]
            if not same or any(abs(p.dob.year - d.year) < 3 or hamming(ds(p.dob), ds(d)) < 3 for p in same):
                errors["neg_same_name_other_dob: dob rule"] += 1
    print("verify:", len(regrows), "registry rows,", len(qrows), "queries;", "errors:", dict(errors) or "none")
    return not errors


if __name__ == "__main__":
    main()
    args_out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else os.path.join(HERE, "set")
    ok = verify(args_out)
    sys.exit(0 if ok else 1)
